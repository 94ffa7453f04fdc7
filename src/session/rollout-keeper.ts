/**
 * Keeps the rollout's state in the store for a session: where the rollout
 * stands after a promote or rollback, the window's verdict, the baselines
 * captured at the stage's entry, and which plan the window was opened with.
 *
 * A state it cannot use (unreadable, wrong schema, unknown stage, another
 * plan's) is never overwritten: every action is refused until an operator
 * repairs it with `flightdeck state set`. A state another process moved on
 * (a promote from another cockpit) is not overwritten by this one's
 * bookkeeping, and this session's next action is refused instead of running
 * the wrong stage's scripts.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Engine } from '../engine/engine.js';
import type { LoadedPlan } from '../plan/plan-file.js';
import { describeProblem, gateChanges, planStamp, STATE_VERSION, type GateChange, type PlanStamp, type RolloutState, type StateProblem, type StateRead } from '../store/rollout-state.js';
import type { RolloutStateStore } from '../store/store.js';
import type { NoteInput } from './types.js';

export interface KeeperOptions {
  store: RolloutStateStore;
  engine: Engine;
  loaded: LoadedPlan;
  /** Who this session acts as (saved as `by`). */
  operator: string;
  /** What the store held when the session opened. */
  initial: StateRead;
  /** The stage the operator asked for (`--stage`) instead of the saved one. */
  stageAsked?: string;
  /** A line of the session's own (a `session.note` event). */
  note(n: NoteInput): void;
  /** Audits something the keeper saw (a changed plan). */
  audit(e: { action: string; result: string; reason?: string; details?: Record<string, unknown> }): Promise<void>;
}

type Persist = 'moved' | 'bookkeeping';

export class RolloutKeeper {
  private problemSeen: StateProblem | null;
  /** The plan the current window was opened with. */
  private windowPlan: PlanStamp;
  private readonly current: PlanStamp;
  private planSeen: RolloutState['planSeen'];
  private changes: GateChange[];
  /** The plan file's text digest last looked at, and when (a running session notices edits of the file). */
  private fileSeen = '';
  /** When the store and the plan file were last looked at (engine time). */
  private lookedAt = 0;
  private stampSeen: string;
  private chain: Promise<void> = Promise.resolve();
  private savedBaselines = '';
  /**
   * This session's own move (a stage entered, a rollback) that the store did not take (a database
   * away, a full disk): written again at each poll and before the next action, never dropped, so the
   * store never says a rollout is where it no longer is.
   */
  private unsavedMove: string | null = null;
  /** Where the store had the rollout, as this session last knew it, when the move was not taken. */
  private unsavedFrom: Pick<RolloutState, 'stageId' | 'stageEnteredAt' | 'rolledBack'> | null = null;
  /** The entry the store held when this session opened or last wrote it. */
  private storeSeen: Pick<RolloutState, 'stageId' | 'stageEnteredAt' | 'rolledBack'> | null;
  private elsewhere: string | null = null;

  constructor(private readonly o: KeeperOptions) {
    this.current = planStamp(o.loaded.plan);
    this.stampSeen = this.current.digest;
    // The text this session loaded: unchanged on the first look, it is not parsed a second time.
    this.fileSeen = o.loaded.textSha256 ?? '';
    const init = o.initial;
    this.problemSeen = init.status === 'broken' ? init.problem : null;
    const saved = init.status === 'ok' ? init.state : null;
    this.storeSeen = saved;
    const pos = o.engine.rolloutPosition();
    const sameEntry = saved !== null && saved.stageId === pos.stageId && saved.stageEnteredAt === pos.stageEnteredAt;
    // A legacy state has no stamp: the window is taken to be opened with this plan.
    this.windowPlan = sameEntry && !(init.status === 'ok' && init.legacy) ? saved.plan : this.current;
    this.planSeen = saved?.planSeen;
    this.changes = this.windowPlan.digest === this.current.digest ? [] : gateChanges(this.windowPlan, this.current);
    this.savedBaselines = sameEntry ? JSON.stringify(saved.baselines) : '';
  }

  /** Set while the saved state cannot be used: every action is refused. */
  get problem(): StateProblem | null {
    return this.problemSeen;
  }

  /** The gates changed since the window opened (empty when the plan is the one it was opened with). */
  get planChanges(): GateChange[] {
    return this.changes;
  }

  /** One line for the cockpit's header while something needs the operator. */
  banner(): string | undefined {
    if (this.problemSeen) return `ROLLOUT STATE UNUSABLE (${this.problemSeen.kind}): actions refused; fix: flightdeck state set`;
    if (this.elsewhere) return `ROLLOUT MOVED in another process: ${this.elsewhere} — reopen`;
    if (this.changes.length) return `plan changed since the window opened: ${this.changes.map((c) => c.key.replace(/^\*\//, '')).join(', ')}`;
    return undefined;
  }

  /** Says what the operator must know, and writes the state the session opened with. */
  start(): void {
    if (this.problemSeen) return this.announceProblem(this.problemSeen);
    const init = this.o.initial;
    const newVersion = this.planSeen?.digest !== this.current.digest;
    this.announceChanges(this.current, init.status === 'ok', '');
    if (init.status !== 'ok' || init.legacy || newVersion) this.persist('bookkeeping');
  }

  /**
   * Shows the gates changed since the window opened (event, activity line, banner), audits a plan
   * version the store has not seen yet with who loaded it, and remembers it as seen.
   */
  private announceChanges(stamp: PlanStamp, audit: boolean, note: string): void {
    const engine = this.o.engine;
    const now = engine.getState().now;
    this.changes = this.windowPlan.digest === stamp.digest ? [] : gateChanges(this.windowPlan, stamp);
    if (this.changes.length) {
      engine.emit({ type: 'plan.changed', windowStart: engine.windowStart, loadedBy: this.o.operator, gates: this.changes });
      this.o.note({ text: `plan changed since the window opened: ${this.changes.map((c) => `${c.key.replace(/^\*\//, '')} ${c.changes.join(', ')}`).join('; ')}${note}`, level: 'warn' });
    }
    if (this.planSeen?.digest === stamp.digest) return;
    if (audit && this.changes.length) {
      void this.o.audit({
        action: 'plan-changed',
        result: 'loaded',
        reason: `plan changed since the window opened at ${new Date(engine.windowStart).toISOString()}`,
        details: { gates: this.changes, windowPlan: this.windowPlan.digest, plan: stamp.digest, state: this.o.store.location },
      });
    }
    this.planSeen = { digest: stamp.digest, by: this.o.operator, at: now };
  }

  /**
   * The plan file edited while this session runs (a threshold loosened at 3 a.m.): shown and audited
   * like a changed plan at start; this session keeps judging by the plan it loaded.
   */
  private async lookAtPlanFile(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.o.loaded.file, 'utf8');
    } catch {
      return; // moved or being replaced: looked at again next time
    }
    const digest = createHash('sha256').update(text).digest('hex');
    if (digest === this.fileSeen) return;
    this.fileSeen = digest;
    let stamp: PlanStamp;
    try {
      const { parsePlanText } = await import('../plan/load.js'); // the yaml library: not on the start-up path
      stamp = planStamp(parsePlanText(text, this.o.loaded.file, this.o.loaded.dir).plan);
    } catch {
      return; // mid-edit or invalid: `validate` says why; nothing to compare yet
    }
    if (stamp.digest === this.stampSeen) return; // comments, layout, where Prometheus is: nothing judged changed
    this.stampSeen = stamp.digest;
    const edited = stamp.digest !== this.current.digest;
    this.announceChanges(stamp, true, edited ? ' (the plan file was edited while this session runs; it still judges by the plan it loaded: reopen to apply the edit)' : '');
    this.persist('bookkeeping');
  }

  /**
   * After a poll (at most every 5 s of engine time): where the store says the rollout is (broken, moved
   * on by another process, or repaired), and the plan file (edited?). A running cockpit shows either
   * at once, not only when its next action is refused.
   */
  private async lookAround(): Promise<void> {
    const now = this.o.engine.getState().now;
    if (this.lookedAt !== 0 && now - this.lookedAt < 5_000) return;
    this.lookedAt = now;
    await this.refresh();
    if (!this.problemSeen) await this.lookAtPlanFile();
  }

  /**
   * Reads the store: a state that became unusable is marked (every action refused); one repaired
   * (`flightdeck state set`) lifts the refusal; one another process moved on is shown (reopen).
   */
  async refresh(): Promise<StateRead> {
    const read = await this.o.store.read();
    const at = this.o.engine.getState().now;
    if (read.status === 'broken') this.markBroken(read.problem);
    else if (read.status === 'ok') {
      if (this.problemSeen) {
        this.problemSeen = null;
        this.o.note({ text: `rollout state ${read.location} repaired by ${read.state.by}${read.state.reason ? `: ${read.state.reason}` : ''}` });
      }
      // What the store held when this session opened or last wrote is no news (a `--stage` session knows its stage differs).
      if (!isSameEntry(read.state, this.storeSeen)) {
        const moved = this.movedBy(read.state);
        if (moved && moved !== this.elsewhere) this.o.note({ text: `the rollout moved on in another process: ${moved}; this session's view is out of date: reopen it`, level: 'warn' });
        this.elsewhere = moved;
        this.storeSeen = read.state;
      }
    }
    return read;
  }

  /** Saves what changed: a new stage or window (this session's action), a verdict, a captured baseline. */
  onEvent(type: string): void {
    if (type === 'stage.entered' || type === 'stage.rolled-back') {
      this.windowPlan = this.current;
      this.persist('moved');
    } else if (type === 'window.completed') this.persist('bookkeeping');
    else if (type === 'poll.done') {
      if (this.unsavedMove !== null) this.persist('moved');
      if (JSON.stringify(this.o.engine.rolloutPosition().baselines) !== this.savedBaselines) this.persist('bookkeeping');
      this.chain = this.chain.then(() => this.lookAround()).catch(() => undefined);
    }
  }

  /** Waits for the saves under way (and any they queued). */
  async flush(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.chain;
      await seen;
    } while (seen !== this.chain);
  }

  /**
   * Called with the action lock held, before an action runs: null when the store agrees with this
   * session about where the rollout is, else why the action is refused.
   */
  async checkBeforeAction(): Promise<string | null> {
    if (this.unsavedMove !== null) this.persist('moved');
    await this.flush();
    if (this.unsavedMove !== null && !this.problemSeen) return `this session's last move is not saved yet (${this.where()}): ${this.unsavedMove}; nothing runs until the store takes it`;
    const read = await this.refresh();
    if (this.problemSeen) return describeProblem(this.problemSeen);
    if (read.status === 'ok') {
      const moved = this.movedBy(read.state);
      if (moved && this.o.stageAsked !== undefined && this.o.stageAsked !== read.state.stageId) {
        return `the saved rollout state (${read.location}) says ${moved}, not --stage ${this.o.stageAsked}: if the rollout really is at ${this.o.stageAsked}, say so first with \`flightdeck state set ${this.o.loaded.file} --stage ${this.o.stageAsked} --reason "…"\` (audited)`;
      }
      if (moved) return `the saved rollout state (${read.location}) says ${moved}; this session shows ${this.where()}: reopen to continue from where the rollout is`;
    }
    return null;
  }

  private where(): string {
    const pos = this.o.engine.rolloutPosition();
    return `${pos.stageId}${pos.rolledBack ? ' (rolled back)' : ''} entered ${new Date(pos.stageEnteredAt).toISOString()}`;
  }

  /**
   * How the saved state differs from this session's stage, or null when it does not. Only the stage and
   * whether it was rolled back count: two cockpits opened at once on a fresh rollout each saved their own
   * entry time, seconds apart, and neither is wrong to act.
   */
  private movedBy(s: RolloutState): string | null {
    const pos = this.o.engine.rolloutPosition();
    if (s.stageId === pos.stageId && s.rolledBack === pos.rolledBack) return null;
    return `${s.stageId}${s.rolledBack ? ' (rolled back)' : ''} entered ${new Date(s.stageEnteredAt).toISOString()}, saved by ${s.by} at ${new Date(s.updatedAt).toISOString()}`;
  }

  private markBroken(p: StateProblem): void {
    if (this.problemSeen) return;
    this.problemSeen = p;
    this.announceProblem(p);
  }

  private announceProblem(p: StateProblem): void {
    this.o.engine.emit({ type: 'state.unusable', location: p.location, problem: p.problem, fix: p.fix });
    this.o.note({ text: describeProblem(p), level: 'error' });
  }

  private persist(kind: Persist): void {
    this.chain = this.chain.then(() => this.write(kind));
  }

  private async write(kind: Persist): Promise<void> {
    if (this.problemSeen) {
      // Never over a state an operator must look at, nor one the store cannot read (its database stopped): a move
      // (a rollback that ended meanwhile) is kept, and written at a poll once the store reads well again.
      if (kind === 'moved') this.keepUnsaved(`could not save the rollout state to ${this.o.store.location}: it ${this.problemSeen.problem}`);
      return;
    }
    const engine = this.o.engine;
    const pos = engine.rolloutPosition();
    const at = engine.getState().now;
    try {
      if (kind === 'moved' && this.unsavedMove !== null) {
        // Written again only over the position it failed to replace: another process that moved the rollout since (a
        // leader elsewhere) wins; one that only saved its bookkeeping at the same position (a standby) does not.
        const read = await this.o.store.read();
        if (read.status === 'ok' && this.unsavedFrom !== null && !isSameEntry(read.state, this.unsavedFrom)) {
          this.o.note({ text: `this session's unsaved move (${this.where()}) is dropped: the rollout moved on in another process since (${this.movedBy(read.state) ?? 'same stage'})`, level: 'warn' });
          this.unsavedMove = null;
          return;
        }
      }
      if (kind === 'bookkeeping') {
        // Another process may have moved the rollout (a promote from another cockpit): its state wins.
        const read = await this.refresh();
        if (this.problemSeen || (read.status === 'ok' && this.movedBy(read.state))) return;
      }
      const state: RolloutState = {
        version: STATE_VERSION,
        plan: this.windowPlan,
        ...pos,
        ...(this.planSeen ? { planSeen: this.planSeen } : {}),
        updatedAt: Date.now(),
        by: this.o.operator,
      };
      await this.o.store.write(state);
      if (kind === 'moved' && this.unsavedMove !== null) this.o.note({ text: `rollout state saved to ${this.o.store.location} once it answered again: ${this.where()}` });
      if (kind === 'moved') this.unsavedMove = null;
      this.storeSeen = state;
      this.savedBaselines = JSON.stringify(pos.baselines);
      this.elsewhere = null;
    } catch (err) {
      const why = `could not save the rollout state to ${this.o.store.location}: ${(err as Error).message}`;
      if (kind === 'moved') this.keepUnsaved(why);
      else this.o.note({ text: why, level: 'warn' });
    }
  }

  /** A move the store did not take: said once, tried again at each poll (and before an action) until it does. */
  private keepUnsaved(why: string): void {
    if (this.unsavedMove === null) {
      this.o.note({ text: `${why} (tried again at each poll)`, level: 'warn' });
      this.unsavedFrom = this.storeSeen;
    }
    this.unsavedMove = why;
  }
}

function isSameEntry(a: Pick<RolloutState, 'stageId' | 'stageEnteredAt' | 'rolledBack'>, b: typeof a | null): boolean {
  return b !== null && a.stageId === b.stageId && a.stageEnteredAt === b.stageEnteredAt && a.rolledBack === b.rolledBack;
}
