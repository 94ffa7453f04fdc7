/**
 * A session: one plan being watched and acted on. It runs the scheduler,
 * turns engine events into notifications and self-metrics, and runs promote
 * and rollback actions guarded by the machine-wide lock, with the audit.
 * The cockpit, the headless stream, the demo and the non-interactive
 * `promote` / `rollback` commands all go through this one class.
 */
import { resolve } from 'node:path';
import { acquireActionLock, clearStaleLock, describeHolder, HOLDER_ENV, holderMark, inspectLock, processGroupAlive, runningGroup, type HolderState, type LockHolder, type LockResult } from '../actions/lock.js';
import type { Store } from '../store/store.js';
import { runAction, stepsForAudit, type ActionResult } from '../actions/runner.js';
import { resolveInclude } from '../actions/steps.js';
import { appendAudit, formatOperator, type AuditOperator } from '../audit/log.js';
import type { Clock } from '../clock.js';
import type { Engine } from '../engine/engine.js';
import { Scheduler } from '../engine/scheduler.js';
import type { Blocker, EngineEvent, OverrideFields, StageStatus } from '../engine/types.js';
import type { SelfMetrics } from '../metrics/self-metrics.js';
import type { Notifier } from '../notify/index.js';
import type { LoadedPlan } from '../plan/load.js';
import type { ActionKind, NoteInput, RunningAction, SessionView } from './types.js';
import { NotificationBridge } from './notify-bridge.js';
import type { RolloutKeeper } from './rollout-keeper.js';
import { describeAction } from '../actions/describe.js';
import { definedEnv } from '../env.js';
import { formatDuration } from '../duration.js';

export interface SessionOptions {
  loaded: LoadedPlan;
  /** What the session runs on (the CLI's runtime, the demo's, a test's). */
  runtime: { engine: Engine; clock: Clock; close(): Promise<void> };
  env: Record<string, string | undefined>;
  operator: AuditOperator;
  readonly: boolean;
  dryRun: boolean;
  autoRollback: boolean;
  notifier?: Notifier | null;
  metrics?: SelfMetrics | null;
  /** Secret values (tokens, webhook URLs) kept out of output, logs and the audit. */
  secrets?: string[];
  /** Where the action lock lives (default beside the plan). */
  lockDir?: string;
  killGraceMs?: number;
  /** What is notified: `all` (default) or only this session's `actions` (the one-shot commands). */
  notifyScope?: 'all' | 'actions';
  /**
   * Keeps the rollout's state in the store (stage, window, baselines, plan stamp) and refuses every
   * action while the saved state is unusable. Absent in replays and tests that do not want it.
   */
  rollout?: (session: Session) => RolloutKeeper;
  /** Where the action lock and the audit live when not in files beside the plan (the PostgreSQL store). */
  store?: Store;
  /**
   * Whether this session may act now: null, or why not (a guard standing by for another bastion's
   * leader, or one that lost its lease). Checked before every action; a standby's automatic rollback
   * is left to the leader.
   */
  mayAct?: () => string | null;
  /**
   * Whether this session sends notifications now (several bastions: only the leading guard does, so a
   * standby does not send each one a second time). Absent: always.
   */
  mayNotify?: () => boolean;
}

export interface PromoteRequest {
  reason?: string;
  /** The stage the operator confirmed (a dialog's): refused when the rollout is at another stage by then. */
  stageId?: string;
  /** Who asks, when not this session's own operator (a client of the guard, as the guard verified it). */
  as?: AuditOperator;
  /**
   * A guarded override: needed when the stage is not promotable. `blockers`: the gates the operator saw
   * blocking and overrode (a dialog's); refused when another blocks by then, which nobody overrode.
   */
  override?: { reason: string; acknowledged: boolean; blockers?: string[] };
  /** Aborting it (an OS signal to a one-shot command) stops the action as quitting does; its reason is audited. */
  signal?: AbortSignal;
  /** Called with the pid (= process group id) of every process the action starts. */
  onSpawn?(pid: number): void;
}

export interface RollbackRequest {
  reason?: string;
  /** The stage the operator confirmed (a dialog's): refused when the rollout is at another stage by then. */
  stageId?: string;
  /** The operator confirmed a stage not rolled back (a dialog's): refused when it has been rolled back by then, rather than run twice. */
  expectNotRolledBack?: boolean;
  /** Who asks, when not this session's own operator. */
  as?: AuditOperator;
  auto?: boolean;
  includeOptional?: string[] | 'all';
  signal?: AbortSignal;
  onSpawn?(pid: number): void;
}

export type ActionOutcome =
  | { ok: true; result: ActionResult }
  /** `blocked`: refused because the stage is not promotable (an override would proceed). `interrupted`: aborted before it started. */
  | { ok: false; result?: ActionResult; refused?: string; blocked?: boolean; interrupted?: string };

/** How long an action's outcome is retried while a database store is away (the lock is held meanwhile). */
const OUTCOME_RETRY_MS = 120_000;
/** How often an adopted action's process group is looked for. */
/** How long a refusal's answer waits for its audit row. */
const REFUSAL_AUDIT_WAIT_MS = 2_000;
const ADOPT_POLL_MS = 250;

export class Session {
  readonly engine;
  readonly scheduler: Scheduler;
  private running: (RunningAction & { abort: AbortController }) | null = null;
  private inFlight: Promise<ActionOutcome> | null = null;
  private readonly rollout: RolloutKeeper | null;
  private begun = false;
  private listeners = new Set<() => void>();
  private unsubscribe: Array<() => void> = [];
  private readonly bridge: NotificationBridge | null;
  /** Set when the guard is stopping: every new action (asked or automatic) is refused with it. */
  private closingWhy: string | null = null;
  /** An action another bastion's leader runs (a standby shows it as running; it runs nothing itself). */
  private remote: RunningAction | null = null;
  /**
   * A rollback of this stage that another bastion's guard started and lost (kill -9, cut off): its
   * processes there cannot be seen from here, so how it ended is unknown. It is not run again on its own.
   */
  private unknownRollback: { stageId: string; text: string } | null = null;
  /** Set while the engine takes the position another process saved: that move is not this session's to save. */
  private following = false;

  constructor(private readonly o: SessionOptions) {
    this.engine = o.runtime.engine;
    this.scheduler = new Scheduler(this.engine, o.runtime.clock);
    const notifier = o.notifier;
    this.bridge = notifier
      ? new NotificationBridge({ operator: o.operator, dryRun: o.dryRun, scope: o.notifyScope ?? 'all', autoRollbackOff: this.autoRollbackOff() }, () => this.engine.getState(), o.runtime.clock, (n) => notifier.send(n))
      : null;
    this.rollout = o.rollout ? o.rollout(this) : null;
    this.unsubscribe.push(this.engine.on((e) => this.onEvent(e)));
    this.unsubscribe.push(this.engine.subscribe(() => this.changed()));
  }

  get operatorName(): string {
    return formatOperator(this.o.operator);
  }

  get readonly(): boolean {
    return this.o.readonly;
  }

  /** Narrows notifications to this session's own actions (set by the one-shot commands before they poll). */
  notifyOnly(scope: 'all' | 'actions'): void {
    this.o.notifyScope = scope;
    this.bridge?.setScope(scope);
  }

  /** Waits for the rollout state's saves under way. */
  async flush(): Promise<void> {
    await this.rollout?.flush();
  }

  /** Why every action is refused (the saved rollout state is unusable), or null. */
  get stateProblem() {
    return this.rollout?.problem ?? null;
  }

  /**
   * Says where the rollout stands (a resumed window, an unusable state, a changed plan) and saves
   * the state it opened with. Once; `start` does it too. The one-shot commands call it alone.
   */
  begin(): void {
    if (this.begun) return;
    this.begun = true;
    this.rollout?.start();
    this.engine.announceResume();
  }

  /** Starts polling. Without it, the session still acts, audits and notifies (the one-shot commands). */
  start(): void {
    this.begin();
    this.scheduler.start();
    void this.adoptOrphan();
  }

  /** Stops polling, aborts a running action (killing its processes), flushes notifications. */
  async stop(opts: { flushMs?: number } = {}): Promise<void> {
    this.scheduler.stop();
    // An adopted action is not ours to kill: only the wait for it stops.
    this.running?.abort.abort(new Error('flightdeck is quitting'));
    await this.inFlight?.catch(() => undefined);
    await this.rollout?.flush();
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    if (this.o.notifier) {
      await this.o.notifier.flush(opts.flushMs ?? 5_000);
      await this.o.notifier.close();
    }
    await this.o.runtime.close();
  }

  /** Resolves once no action (own or adopted) is running or finishing its bookkeeping. */
  async idle(): Promise<void> {
    for (let i = 0; i < 1_000 && (this.inFlight || this.running); i++) {
      if (this.inFlight) await this.inFlight.catch(() => undefined);
      else await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** A command refused before it reached the session (the asker is not an operator): audited and shown. */
  async refuseCommand(command: string, why: string, op: AuditOperator): Promise<void> {
    const st = this.engine.getState();
    const stageId = st.stages[st.stageIndex]!.id;
    if (command === 'promote' || command === 'rollback') this.engine.emit({ type: 'action.refused', action: command, stageId, why });
    else this.note({ text: `${command} refused: ${why}`, topic: 'audit', level: 'warn' });
    await this.auditRefusal({ action: command, stage: stageId, result: 'refused', reason: why, operator: op });
  }

  /**
   * Nothing new starts from now on (the guard is stopping): promote, rollback and auto-rollback
   * are refused, audited, with `why`. An action already running goes on to its end.
   */
  refuseNewActions(why: string): void {
    this.closingWhy = why;
  }

  refresh(): void {
    this.engine.dispatch({ type: 'refresh' });
    this.scheduler.refresh();
  }

  /** What is shown beside the engine state (the session's lines are `session.note` events). */
  extras(): SessionView {
    const r = this.running ?? this.remote;
    return {
      action: r ? { kind: r.kind, operator: r.operator, startedAt: r.startedAt, lastLine: r.lastLine } : null,
      notifications: this.o.notifier ? toHealth(this.o.notifier.undelivered()) : null,
      banner: this.rollout?.banner(),
    };
  }

  get actionRunning(): RunningAction | null {
    return this.running ?? this.remote;
  }

  /** Shows (or, with null, stops showing) an action the leader of several bastions runs elsewhere. */
  showRemoteAction(a: RunningAction | null): void {
    this.remote = a;
    this.changed();
  }

  subscribe(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** `o.stageId`: the stage whose gate the operator signed off (a dialog's); refused when the rollout has left it. */
  signoff(gateId: string, note: string, o: { as?: AuditOperator; stageId?: string } = {}): void {
    const as = o.as ?? this.o.operator;
    if (this.o.readonly) throw new Error('read-only session: sign-off is disabled');
    const st = this.engine.getState();
    const moved = stageMoved(o.stageId, st.stages[st.stageIndex]!.id);
    if (moved) throw new Error(moved);
    this.engine.dispatch({ type: 'signoff', gateId, operator: as.user, note });
    void this.audit({ action: 'signoff', result: 'ok', reason: note, details: { gate: gateId }, operator: as });
  }

  async promote(req: PromoteRequest = {}): Promise<ActionOutcome> {
    const st = this.engine.getState();
    const stage = st.stages[st.stageIndex]!;
    const spec = this.engine.plan.stages[st.stageIndex]!;
    const op = req.as ?? this.o.operator;
    const moved = stageMoved(req.stageId, stage.id);
    if (moved) return this.refuse('promote', stage.id, moved, req.reason, false, op);
    if (this.stateProblem) await this.rollout?.refresh(); // repaired meanwhile (`flightdeck state set`)?
    if (this.stateProblem) return this.refuse('promote', stage.id, this.stateRefusal(), req.reason, false, op);
    if (this.o.readonly) return this.refuse('promote', stage.id, 'read-only session: promotion is disabled', req.reason, false, op);
    if (!spec.promote) return this.refuse('promote', stage.id, `stage ${stage.id} has no promote action`, req.reason, false, op);
    let override: OverrideFields | undefined;
    if (!stage.promotable) {
      const why = stage.status === 'rolled back' ? 'the stage was rolled back' : describeBlockers(stage, st.gates, this.o.runtime.clock.now());
      if (!req.override) {
        const out = await this.refuse('promote', stage.id, `${stage.id} is not promotable (${why}): a guarded override needs a reason and an acknowledgement`, req.reason, false, op);
        return { ...out, blocked: true };
      }
      const min = this.engine.plan.override.minReasonLength;
      if (req.override.reason.trim().length < min) return this.refuse('promote', stage.id, `an override reason needs at least ${min} characters`, req.reason, false, op);
      if (!req.override.acknowledged) return this.refuse('promote', stage.id, 'the override was not acknowledged', req.reason, false, op);
      const unseen = unseenBlockers(stage.blockers, req.override.blockers);
      if (unseen) return this.refuse('promote', stage.id, unseen, req.reason, false, op);
      override = { manual_override: true, override_acknowledged: true, override_reason: req.override.reason.trim() };
    }
    const next = this.engine.plan.stages[st.stageIndex + 1];
    return this.act('promote', {
      reason: req.reason ?? override?.override_reason,
      override,
      auto: false,
      targetStageId: next?.id,
      blockers: stage.blockers.map((b) => b.gateId),
      overridden: req.override?.blockers,
      expectStage: stage.id,
      signal: req.signal,
      onSpawn: req.onSpawn,
      op,
    });
  }

  async rollback(req: RollbackRequest = {}): Promise<ActionOutcome> {
    const st = this.engine.getState();
    const stage = st.stages[st.stageIndex]!;
    const spec = this.engine.plan.stages[st.stageIndex]!;
    const auto = req.auto ?? false;
    const op = req.as ?? this.o.operator;
    const moved = notAsConfirmed(stage, req.stageId, req.expectNotRolledBack);
    if (moved) return this.refuse('rollback', stage.id, moved, req.reason, auto, op);
    if (this.stateProblem) await this.rollout?.refresh(); // repaired meanwhile (`flightdeck state set`)?
    if (this.stateProblem) return this.refuse('rollback', stage.id, this.stateRefusal(), req.reason, auto, op);
    if (this.o.readonly) return this.refuse('rollback', stage.id, 'read-only session: rollback is disabled', req.reason, auto, op);
    if (!spec.rollback) return this.refuse('rollback', stage.id, `stage ${stage.id} has no rollback action`, req.reason, auto, op);
    let include = req.includeOptional;
    if (Array.isArray(include)) {
      const r = resolveInclude(spec.rollback, 'rollback', include);
      if (!r.ok) return this.refuse('rollback', stage.id, `no step named ${r.unknown.map((n) => `"${n}"`).join(', ')} in the rollback of ${stage.id}; its steps: ${r.names.map((n) => `"${n}"`).join(', ')}`, req.reason, auto, op);
      include = r.include;
    }
    return this.act('rollback', { reason: req.reason, auto, includeOptional: include, blockers: [], expectStage: stage.id, expectNotRolledBack: req.expectNotRolledBack, signal: req.signal, onSpawn: req.onSpawn, op });
  }

  private async act(
    kind: ActionKind,
    a: ActRequest,
  ): Promise<ActionOutcome> {
    const st = this.engine.getState();
    const stageIndex = st.stageIndex;
    const stage = this.engine.plan.stages[stageIndex]!;
    const clock = this.o.runtime.clock;
    if (this.closingWhy) return this.refuse(kind, stage.id, this.closingWhy, a.reason, a.auto, a.op);
    // What promote() or rollback() judged (promotable, the override, the steps) was of this stage: not of another
    // the rollout reached while a state refresh was awaited.
    const moved = notAsConfirmed(st.stages[stageIndex]!, a.expectStage, a.expectNotRolledBack) ?? (a.override ? unseenBlockers(st.stages[stageIndex]!.blockers, a.overridden) : null);
    if (moved) return this.refuse(kind, stage.id, moved, a.reason, a.auto, a.op);
    const notLeader = this.o.mayAct?.() ?? null;
    if (notLeader) return this.refuse(kind, stage.id, notLeader, a.reason, a.auto, a.op);
    if (this.running) {
      const r = this.running;
      return this.refuse(kind, stage.id, `${r.kind} by ${r.operator} running for ${Math.round((clock.now() - r.startedAt) / 1000)} s: wait for it to finish`, a.reason, a.auto, a.op);
    }
    if (a.signal?.aborted) return { ok: false, interrupted: describeAbort(a.signal.reason) };
    const abort = new AbortController();
    const onOuterAbort = (): void => abort.abort(a.signal?.reason);
    a.signal?.addEventListener('abort', onOuterAbort, { once: true });
    const startedAt = clock.now();
    // Claimed before the first await, so a second request in this process is refused at once.
    const claim = { kind: a.auto ? `auto-${kind}` : kind, operator: a.op.user, startedAt, abort };
    this.running = claim;
    // The previous action has ended (running is null) but may still be writing its audit line and
    // releasing its lock: this one starts after that, never beside it.
    const previous = this.inFlight;
    const done = (async () => {
      await previous?.catch(() => undefined);
      return this.runLocked(kind, a, stage, stageIndex, startedAt, abort);
    })();
    this.inFlight = done;
    try {
      return await done;
    } finally {
      a.signal?.removeEventListener('abort', onOuterAbort);
      this.endRun(claim);
      if (this.inFlight === done) this.inFlight = null;
    }
  }

  /**
   * The action's end, the one moment that "an action is running" stops being true: the quit key,
   * the header and the dialogs all read `running`, so it is cleared here and nowhere else, before
   * the end is shown (action.finished or action.refused).
   */
  private endRun(claim: object): void {
    if (this.running !== claim) return;
    this.running = null;
    this.changed();
  }

  private async runLocked(
    kind: ActionKind,
    a: ActRequest,
    stage: LoadedPlan['plan']['stages'][number],
    stageIndex: number,
    startedAt: number,
    abort: AbortController,
  ): Promise<ActionOutcome> {
    // The lock is machine-wide and real-time: its holder's age is told in wall-clock time.
    const claim = this.running;
    let lock: LockResult;
    try {
      lock = this.o.store
        ? await this.o.store.lock.acquire({ action: kind, operator: a.op.user, stageId: stage.id, auto: a.auto })
        : await acquireActionLock({ planFile: this.o.loaded.file, action: kind, operator: a.op.user, dir: this.o.lockDir, stageId: stage.id, auto: a.auto });
    } catch (err) {
      if (claim) this.endRun(claim);
      return this.refuse(kind, stage.id, `not started: ${(err as Error).message}`, a.reason, a.auto, a.op);
    }
    if (!lock.ok) {
      if (claim) this.endRun(claim);
      return this.refuse(kind, stage.id, `${describeHolder(lock.holder, Date.now())}: wait for it to finish`, a.reason, a.auto, a.op);
    }
    if (abort.signal.aborted) {
      // Interrupted while waiting for the lock: nothing ran.
      await lock.release();
      if (claim) this.endRun(claim);
      return { ok: false, interrupted: describeAbort(abort.signal.reason) };
    }
    let groups: Promise<void> = Promise.resolve();
    try {
      if (lock.abandoned) {
        const ab = lock.abandoned;
        // The same rule as when adoptOrphan finds it first (withholdAfter).
        this.withholdAfter(ab, ab.host !== lock.holder.host);
        await this.auditAbandoned(ab, 'found when the next action took the lock');
        const unknown = this.unknownRollback;
        if (a.auto && kind === 'rollback' && unknown?.stageId === stage.id) {
          if (claim) this.endRun(claim);
          return await this.refuse(kind, stage.id, `${unknown.text}; not run again on its own — roll back by hand if it is still needed`, a.reason, a.auto, a.op);
        }
      }
      // A guard leading on a shared store first takes what an earlier leader saved (it is the one writer now).
      if (this.o.mayAct) await this.catchUp();
      // Under the lock, the store is asked where the rollout is: another process may have moved it on.
      let stale = await this.rollout?.checkBeforeAction();
      if (stale && this.o.mayAct) {
        // The old leader's last move can land between the two reads (its rollback's state, written as the database
        // came back after this guard took the lead): a leader takes that too, once, rather than refusing "reopen".
        await this.catchUp();
        stale = await this.rollout?.checkBeforeAction();
      }
      if (stale) {
        if (claim) this.endRun(claim);
        return await this.refuse(kind, stage.id, stale, a.reason, a.auto, a.op);
      }
      if (a.override) {
        this.engine.emit({ type: 'override', stageId: stage.id, operator: a.op.user, blockers: a.blockers, fields: a.override });
        await this.audit({ action: 'override', stage: stage.id, reason: a.override.override_reason, override: a.override, result: 'acknowledged', details: { blockers: a.blockers }, operator: a.op });
      }
      const spec = kind === 'promote' ? stage.promote! : stage.rollback!;
      const logFile = resolve(this.o.loaded.dir, this.engine.plan.logs.dir, `${kind}_${stage.id}_${new Date(startedAt).toISOString().replace(/[:.]/g, '-')}.log`);
      // Write-ahead: the record that this action starts is on disk before its first step runs, or it does not start.
      const started = await this.audit(
        {
          action: a.auto ? `auto-${kind}` : kind,
          stage: stage.id,
          reason: a.reason,
          override: a.override,
          result: this.o.dryRun ? 'dry run started' : 'started',
          details: { actionId: lock.holder.token, target: a.targetStageId, argv: describeAction(spec, kind, this.o.dryRun), pid: process.pid, log: logFile },
          operator: a.op,
        },
        { required: true },
      );
      if (started !== true) {
        if (claim) this.endRun(claim);
        const why = `not started: its start could not be written to the audit log (${started})`;
        this.engine.emit({ type: 'action.refused', action: kind, stageId: stage.id, why });
        this.o.metrics?.action(kind, 'refused');
        return { ok: false, refused: why };
      }
      this.engine.emit({ type: 'action.started', action: kind, stageId: stage.id, operator: a.op.user, reason: a.reason, auto: a.auto, dryRun: this.o.dryRun, override: a.override });
      const result = await runAction(spec, {
        kind,
        planDir: this.o.loaded.dir,
        stageId: stage.id,
        targetStageId: a.targetStageId,
        operator: a.op.user,
        reason: a.reason,
        dryRun: this.o.dryRun,
        // The holder's mark on every step: a step this process started but did not live to record is still found.
        env: { ...definedEnv(this.o.env), ...this.engine.plan.env, [HOLDER_ENV]: holderMark(lock.holder) },
        includeOptional: a.includeOptional,
        gateOk: (id) => this.engine.getState().gates.some((g) => g.id === id && (g.state === 'ok' || g.state === 'warn')),
        onOutput: (line) => {
          if (this.running) this.running.lastLine = line.text;
          this.engine.emit({ type: 'action.output', action: kind, step: line.step, stream: line.stream, text: line.text });
        },
        logFile,
        signal: abort.signal,
        secrets: this.o.secrets,
        killGraceMs: this.o.killGraceMs,
        // The lock names the running step's process group: it holds while that group runs, even if we die.
        onSpawn: (pid) => {
          groups = groups.then(() => lock.recordGroup(pid)).catch(() => undefined);
          a.onSpawn?.(pid);
        },
        // A group left running on purpose (leftovers: leave) is no longer the action's: the lock stops naming it.
        // Waited for by the step: if this process dies right after, the lock already says so.
        onDisown: (pgid) => (groups = groups.then(() => lock.recordGroup(undefined, pgid)).catch(() => undefined)),
      });
      const abortedBy = result.aborted && abort.signal.aborted ? describeAbort(abort.signal.reason) : undefined;
      if (claim) this.endRun(claim);
      this.engine.emit({
        type: 'action.finished',
        action: kind,
        stageId: stage.id,
        ok: result.ok,
        durationMs: result.durationMs,
        steps: result.steps.map((s) => ({ name: s.name, status: s.status, exitCode: s.exitCode, durationMs: Math.round(s.durationMs) })),
        summary: result.summary,
        outcome: result.outcome,
        failedSteps: result.failedSteps,
        ...(abortedBy ? { abortedBy } : {}),
        auto: a.auto,
        dryRun: result.dryRun,
        reason: a.reason,
      });
      // Where the rollout stands changes in the same tick as the end is shown, so whatever is asked
      // next (a key, another action) sees the new stage. A partial run went to its end: the stage moves.
      if ((result.outcome === 'ok' || result.outcome === 'partial') && !result.dryRun) {
        if (kind === 'rollback') this.engine.dispatch({ type: 'rolled-back' });
        else if (stageIndex + 1 < this.engine.plan.stages.length) this.engine.dispatch({ type: 'entered-stage', index: stageIndex + 1, by: 'promote' });
      }
      await this.audit({
        action: a.auto ? `auto-${kind}` : kind,
        stage: stage.id,
        reason: a.reason,
        override: a.override,
        steps: stepsForAudit(result),
        result: result.dryRun ? `dry run ${result.outcome}` : result.outcome,
        durationMs: result.durationMs,
        details: {
          actionId: lock.holder.token,
          target: a.targetStageId,
          log: result.logFile,
          ...(result.failedSteps.length ? { failedSteps: result.failedSteps } : {}),
          ...(abortedBy ? { abortedBy } : {}),
        },
        operator: a.op,
      }, { retryMs: this.o.store ? OUTCOME_RETRY_MS : 0 });
      this.o.metrics?.action(kind, result.ok ? 'ok' : 'failed');
      return result.ok ? { ok: true, result } : { ok: false, result };
    } finally {
      await groups;
      await lock.release();
    }
  }

  /** A refusal keeps the operator's reason (if any) and records why it was refused beside it, under the account that asked. */
  private async refuse(kind: ActionKind, stageId: string, why: string, reason?: string, auto = false, op: AuditOperator = this.o.operator): Promise<{ ok: false; refused: string }> {
    this.engine.emit({ type: 'action.refused', action: kind, stageId, why, ...(reason !== undefined ? { reason } : {}), ...(auto ? { auto } : {}) });
    this.o.metrics?.action(kind, 'refused');
    await this.auditRefusal({ action: auto ? `auto-${kind}` : kind, stage: stageId, result: 'refused', ...(reason !== undefined ? { reason } : {}), details: { refusal: why }, operator: op });
    return { ok: false, refused: why };
  }

  /**
   * A refusal's audit row is waited for (whoever reads the audit after the answer finds it), but not past
   * REFUSAL_AUDIT_WAIT_MS: a store that is away (a database stopped, its client queueing behind connect
   * timeouts) must not hold the answer "refused" for half a minute. The write goes on, and says if it fails.
   */
  private async auditRefusal(e: Parameters<Session['audit']>[0]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((r) => {
      timer = setTimeout(r, REFUSAL_AUDIT_WAIT_MS);
      timer.unref();
    });
    await Promise.race([this.audit(e), waited]);
    clearTimeout(timer);
  }

  /** Appends to the audit log; true when written, otherwise why not (also shown as a line). */
  private async audit(
    e: { action: string; result: string; stage?: string; reason?: string; override?: OverrideFields; steps?: ReturnType<typeof stepsForAudit>; durationMs?: number; details?: Record<string, unknown>; operator?: AuditOperator },
    o: { required?: boolean; retryMs?: number } = {},
  ): Promise<true | string> {
    const file = resolve(this.o.loaded.dir, this.engine.plan.audit.file);
    const entry = { plan: this.o.loaded.file, service: this.engine.plan.service, stage: e.stage ?? this.engine.plan.stages[this.engine.getState().stageIndex]!.id, operator: this.o.operator, ...e };
    // An outcome is retried while the store is away (the lock stays held meanwhile): a start never is. A retry
    // after a reply lost in transit must not write the line twice (`once`).
    const actionId = e.details?.actionId;
    const once = o.retryMs && typeof actionId === 'string' ? { once: { actionId, result: e.result } } : {};
    const opts = { secrets: this.o.secrets, clock: this.o.runtime.clock, ...once };
    const deadline = Date.now() + (o.retryMs ?? 0);
    let shown = false;
    for (;;) {
      try {
        if (this.o.store) await this.o.store.audit.append(entry, opts);
        else await appendAudit(file, entry, opts);
        if (shown) this.note({ text: `audit written once the store answered again: ${e.action} ${e.result}`, topic: 'audit' });
        return true;
      } catch (err) {
        const why = (err as Error).message;
        const retrying = Date.now() < deadline;
        if (!shown || !retrying) {
          this.note({ text: `audit write failed${o.required ? ' (the action was not started)' : ''}${retrying ? ' (retrying until the store answers)' : ''}: ${why}`, topic: 'audit', level: 'error' });
          shown = true;
        }
        if (!retrying) return why;
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }

  /** The end of an action whose Flightdeck died: what it ran is known (its started line), how it ended is not. */
  private async auditAbandoned(h: LockHolder, how: string): Promise<void> {
    const stage = h.stageId ?? null;
    await this.audit({
      // Named as its started line named it.
      action: h.auto ? `auto-${h.action}` : h.action,
      stage: stage ?? undefined,
      result: 'outcome unknown',
      operator: { user: h.user, host: h.host },
      reason: `the flightdeck that ran it (pid ${h.pid}) is gone; ${how}`,
      durationMs: Math.max(0, Date.now() - h.startedAt),
      details: { actionId: h.token, pid: h.pid, pgid: h.pgid, recordedBy: this.operatorName },
      // This session took the lock's row away (clearStale), so no one else will write this line: retried
      // while the store is away, as an action's own outcome is.
    }, { retryMs: this.o.store ? OUTCOME_RETRY_MS : 0 });
  }

  /**
   * A Flightdeck that died mid-action left its step's process group running: this session adopts
   * it. It shows it as running (so nothing else starts), waits for the group to end, then audits
   * its end as `outcome unknown` (the exit status went with the dead process) and frees the lock.
   */
  private async adoptOrphan(): Promise<void> {
    let found: { holder: LockHolder; state: HolderState; unseen?: boolean } | null;
    try {
      found = this.o.store ? await this.o.store.lock.inspect() : await inspectLock(this.o.loaded.file, this.o.lockDir);
    } catch {
      return;
    }
    if (!found || found.state === 'alive') return;
    const h = found.holder;
    // Withheld first: a failing gate's request must not slip in while the lock is cleared and the end audited.
    if (found.state === 'stale' && found.unseen) {
      // Stale by its guard's lease, not because its processes were seen to end: they may still run there.
      this.withholdAfter(h, true);
      if (await this.clearStale(h)) await this.auditAbandoned(h, `it ran on ${h.host}, whose guard lost the lease; its processes there cannot be seen from this bastion`);
      return;
    }
    if (found.state === 'stale') {
      this.withholdAfter(h, false);
      if (await this.clearStale(h)) await this.auditAbandoned(h, 'its action had ended when this flightdeck started');
      return;
    }
    if (this.running) return;
    this.withholdAfter(h, false);
    // The group the lock names, or the one its holder started but did not live to record.
    const pgid = runningGroup(h);
    const abort = new AbortController();
    const claim: RunningAction & { abort: AbortController } = {
      kind: h.action,
      operator: h.user,
      // The lock tells wall-clock time; the session shows its own clock's.
      startedAt: this.o.runtime.clock.now() - Math.max(0, Date.now() - h.startedAt),
      lastLine: `adopted: its flightdeck (pid ${h.pid}) is gone; waiting for process group ${pgid} to end`,
      abort,
    };
    this.running = claim;
    this.note({ text: `adopted a running ${h.action} by ${h.user}@${h.host}: its flightdeck (pid ${h.pid}) is gone, process group ${pgid} still runs; nothing else starts until it ends`, level: 'warn' });
    this.changed();
    const adopted = (async () => {
      while (!abort.signal.aborted && pgid !== undefined && processGroupAlive(pgid)) await new Promise((r) => setTimeout(r, ADOPT_POLL_MS));
      if (abort.signal.aborted) return;
      const ended = Date.now();
      // Recorded first, then shown as ended: whoever sees it end finds its audit line.
      if (await this.clearStale(h)) {
        await this.auditAbandoned(h, 'its process group ended under adoption; the exit status could not be had');
      }
      this.endRun(claim);
      this.note({ text: `the adopted ${h.action} by ${h.user} ended after ${Math.round((ended - h.startedAt) / 1000)} s: outcome unknown (check the service)`, level: 'warn' });
      return { ok: false } as ActionOutcome;
    })();
    this.inFlight = adopted.then((o) => o ?? ({ ok: false } as ActionOutcome));
  }

  /**
   * After a rollback of a stage whose flightdeck died (ended unseen, adopted, or run on another bastion), an
   * automatic rollback of that stage is withheld: what the first did is unknown, and a gate still failing
   * right after a rollback (rates over minutes-long windows) says nothing new. A failing gate raises
   * `auto-rollback withheld`; the operator rolls back by hand if it is still needed.
   */
  private withholdAfter(h: LockHolder, otherBastion: boolean): void {
    const text = abandonedText(h, otherBastion);
    const where = otherBastion ? ` on ${h.host}` : '';
    if (h.action !== 'rollback' || !h.stageId) {
      if (otherBastion) this.note({ text: `${text}: check the service${where}`, level: 'warn' });
      return;
    }
    this.unknownRollback = { stageId: h.stageId, text };
    this.note({ text: `${text} — a failing gate does not roll back again on its own: check the service${where}, and roll back by hand if it is still needed`, level: 'warn' });
  }

  private onEvent(e: EngineEvent): void {
    if (!(this.following && (e.type === 'stage.entered' || e.type === 'stage.rolled-back'))) this.rollout?.onEvent(e.type);
    if (e.type === 'poll.done') this.o.metrics?.update(this.engine.getState());
    this.o.metrics?.event(e);
    if (e.type === 'rollback.requested' && e.auto) this.autoRollback(e);
    if (this.o.mayNotify?.() ?? true) this.bridge?.handle(e);
  }

  private autoRollback(e: EngineEvent & { type: 'rollback.requested' }): void {
    const notLeader = this.o.mayAct?.() ?? null;
    if (notLeader) {
      this.note({ text: `auto-rollback left to the leader: ${notLeader} — ${e.reason}`, topic: 'info', level: 'warn' });
      return;
    }
    const unknown = this.unknownRollback;
    if (unknown && unknown.stageId === e.stageId && !this.engine.getState().rolledBack) {
      this.engine.emit({ type: 'alert.firing', name: 'auto-rollback withheld', source: 'flightdeck', severity: 'critical', summary: `${e.gateId} failing, but a ${unknown.text}: not rolled back again on its own — roll back by hand if it is still needed — ${e.reason}` });
      return;
    }
    const why = this.autoRollbackOff();
    if (why !== null) {
      this.engine.emit({ type: 'alert.firing', name: 'auto-rollback disabled', source: 'flightdeck', severity: 'critical', summary: `${e.gateId} failing: roll back by hand (${why}) — ${e.reason}` });
      return;
    }
    void this.rollback({ reason: `auto: ${e.reason}`, auto: true }).then((o) => {
      if (o.ok || !o.refused) return;
      // Refused under the lock for the same rule as above (the abandoned rollback was found there first).
      const withheld = this.unknownRollback?.stageId === e.stageId;
      this.engine.emit({ type: 'alert.firing', name: withheld ? 'auto-rollback withheld' : 'auto-rollback refused', source: 'flightdeck', severity: 'critical', summary: o.refused });
    });
  }

  /** Why this session does not roll back on its own, or null when it does. */
  private autoRollbackOff(): string | null {
    return this.o.readonly ? 'read-only' : this.o.autoRollback ? null : '--no-auto-rollback';
  }

  private clearStale(h: LockHolder): Promise<boolean> {
    return (this.o.store ? this.o.store.lock.clearStale(h) : clearStaleLock(this.o.loaded.file, h, this.o.lockDir)).catch(() => false);
  }

  /**
   * This session became the leader of several bastions' guards: an orphaned action of the old
   * leader is adopted (nothing starts beside it), and a rollback gate already failing is acted on.
   */
  tookLead(): void {
    this.remote = null;
    void this.catchUp().then(() => this.adoptOrphan()).then(() => {
      // The engine asks for a rollback once per failure: one asked while this guard stood by was left to
      // the old leader, which is gone. If the saved state says it rolled back, keepers refuse a second one.
      const st = this.engine.getState();
      const failing = st.gates.find((g) => g.state === 'failing' && g.onFail === 'rollback');
      if (failing && !st.rolledBack) {
        this.autoRollback({ at: this.o.runtime.clock.now(), type: 'rollback.requested', stageId: st.stages[st.stageIndex]!.id, gateId: failing.id, reason: `${failing.id} failing (seen while standing by): ${failing.why}`, auto: true });
      }
    });
    this.refresh();
  }

  /**
   * Takes the rollout's position from the store (where the old leader left it: a promote or a
   * rollback done while this guard stood by), so that the new leader neither repeats it nor is
   * refused for an out-of-date view.
   */
  /** A standby follows the leader: takes the position the store holds now (told by the leader's NOTIFY). */
  follow(): Promise<void> {
    return this.catchUp();
  }

  private async catchUp(): Promise<void> {
    const read = await this.o.store?.state.read().catch(() => null);
    if (!read || read.status !== 'ok') return;
    const saved = read.state;
    const index = this.engine.plan.stages.findIndex((s) => s.id === saved.stageId);
    const st = this.engine.getState();
    if (index < 0 || (index === st.stageIndex && saved.rolledBack === st.rolledBack)) return;
    this.note({ text: `took the rollout's position from the store: ${saved.stageId}${saved.rolledBack ? ' (rolled back)' : ''}, saved by ${saved.by}`, topic: 'info' });
    // The move is the store's already: the keeper does not save it again (with this process's entry time).
    this.following = true;
    try {
      if (index !== st.stageIndex) this.engine.dispatch({ type: 'entered-stage', index, by: 'promote' });
      if (saved.rolledBack && !this.engine.getState().rolledBack) this.engine.dispatch({ type: 'rolled-back' });
    } finally {
      this.following = false;
    }
    await this.rollout?.refresh();
  }

  private stateRefusal(): string {
    const p = this.stateProblem!;
    return `rollout state ${p.location}: ${p.problem}. Nothing runs until it is repaired: ${p.fix}`;
  }

  /** Audits something the rollout keeper saw (a changed plan) or the guard did (it stopped), as this session's operator unless `operator` says who asked. */
  auditNote(e: { action: string; result: string; reason?: string; details?: Record<string, unknown>; operator?: AuditOperator }): Promise<void> {
    return this.audit(e).then(() => undefined);
  }

  /** A line of the session's own, as an event in the one stream (shown, streamed to every cockpit, recorded). */
  note(n: NoteInput): void {
    this.engine.emit({ type: 'session.note', topic: n.topic ?? 'info', level: n.level ?? 'info', text: n.text });
  }

  private changed(): void {
    for (const cb of this.listeners) cb();
  }
}

type ActRequest = {
  reason?: string;
  override?: OverrideFields;
  auto: boolean;
  targetStageId?: string;
  includeOptional?: string[] | 'all';
  blockers: string[];
  /** The stage promote() or rollback() judged: refused when the rollout is at another one when the action is claimed. */
  expectStage?: string;
  /** A rollback confirmed for a stage not rolled back: refused when it has been by the time it is claimed. */
  expectNotRolledBack?: boolean | undefined;
  /** The blockers an override was confirmed over: refused when another blocks by the time it is claimed. */
  overridden?: string[] | undefined;
  signal?: AbortSignal | undefined;
  onSpawn?: (pid: number) => void;
  /** Who asked (a guard acts for the verified account of its client). */
  op: AuditOperator;
};

/**
 * Why an action confirmed for stage `expected` (and, for a rollback, with that stage not rolled back) is
 * refused now that the rollout is at `stage`; null when it is still as confirmed.
 */
function notAsConfirmed(stage: { id: string; status: StageStatus }, expected: string | undefined, notRolledBack: boolean | undefined): string | null {
  const moved = stageMoved(expected, stage.id);
  if (moved || !notRolledBack || stage.status !== 'rolled back') return moved;
  return `${stage.id} was rolled back meanwhile (another operator, or the guard on its own): nothing was run again; look again, and confirm a new rollback to run its steps once more`;
}

/** Why an override confirmed over the `overridden` gates is refused when others block now; null when none does (or nobody said what was seen). */
function unseenBlockers(blockers: readonly Blocker[], overridden: readonly string[] | undefined): string | null {
  if (overridden === undefined) return null;
  const unseen = blockers.filter((b) => !overridden.includes(b.gateId));
  if (unseen.length === 0) return null;
  const them = unseen.map((b) => `${b.gateId} (${b.state}${b.display ? ` ${b.display}` : ''})`).join(', ');
  const one = unseen.length === 1;
  return `${them} ${one ? 'blocks' : 'block'} now, which the override confirmed did not show: nothing was done; look again and confirm the override for ${one ? 'it' : 'them'} too`;
}

/** Why an action asked of stage `expected` is refused when the rollout is at `now` instead; null when they are the same. */
function stageMoved(expected: string | undefined, now: string): string | null {
  if (expected === undefined || expected === now) return null;
  return `the rollout is at ${now} now, not ${expected} as confirmed (it moved meanwhile): nothing was done; look again and confirm for ${now}`;
}

/** "queue failing 5000 (threshold > 1000, failing for 3m12s)", "bake 4m left". */
export function describeBlockers(
  stage: { blockers: Array<{ gateId: string; state: string; display: string; threshold?: string; nodes?: string[] }>; bakeRemainingMs?: number },
  gates: Array<{ id: string; state: string; since: number; breachSince?: number }>,
  now: number,
): string {
  const parts = stage.blockers.map((b) => {
    const g = gates.find((x) => x.id === b.gateId);
    const since = g ? (b.state === 'failing' || b.state === 'pending' ? (g.breachSince ?? g.since) : g.since) : undefined;
    const on = b.nodes?.length ? `on ${b.nodes.slice(0, 3).join(', ')}${b.nodes.length > 3 ? ` and ${b.nodes.length - 3} more` : ''}` : '';
    const extra = [b.threshold ? `threshold ${b.threshold}` : '', since !== undefined ? `${b.state} for ${formatDuration(Math.max(0, now - since))}` : '', on].filter(Boolean).join(', ');
    return `${b.gateId} ${b.state} ${b.display}${extra ? ` (${extra})` : ''}`;
  });
  if (stage.bakeRemainingMs) parts.push(`bake ${formatDuration(stage.bakeRemainingMs)} left`);
  return parts.join(', ') || 'not promotable';
}

/** An abort's reason as the audit and the notifications tell it: "SIGTERM", "flightdeck is quitting". */
function describeAbort(reason: unknown): string {
  if (typeof reason === 'string') return reason;
  if (reason instanceof Error) return reason.message;
  return 'aborted';
}


function toHealth(u: { count: number; lastError?: string }) {
  return { undelivered: u.count, lastError: u.lastError };
}

/** What is known of an action whose flightdeck died: who started it, where, and that its outcome is unknown. */
function abandonedText(h: LockHolder, otherBastion: boolean): string {
  const what = h.auto ? `auto-${h.action}` : h.action;
  return otherBastion
    ? `${what} started by ${h.user} through the guard on ${h.host} (pid ${h.pid}), outcome unknown: that guard lost its lease and its processes cannot be seen from this bastion`
    : `${what} started by ${h.user}@${h.host} (pid ${h.pid}), outcome unknown: its flightdeck died while it ran`;
}
