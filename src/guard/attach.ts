/**
 * A cockpit attached to a guard: a mirror of the guard's state and extras,
 * fed by its NDJSON stream, that acts through the guard's commands (as this
 * process's verified OS account). Every attached cockpit shows the same
 * state, including actions started by others. Detaching leaves the guard running.
 */
import type { EngineEvent, EngineState } from '../engine/types.js';
import type { Plan } from '../plan/schema.js';
import type { PromoteRequest, RollbackRequest } from '../session/session.js';
import type { RunningAction, SessionView } from '../session/types.js';
import { GuardClient } from './client.js';

/** How long the guard may take to send its first state. */
const SNAPSHOT_WAIT_MS = 15_000;
/** How long a command's answer waits for the stream to bring the state it was given on. */
const STREAM_LAG_MS = 2_000;

export type Outcome = { ok: boolean; refused?: string; result?: { summary: string } };

export class AttachedSession {
  /** The guard's state as last streamed, and what is shown: that state with this cockpit's own notes among its events. */
  private state: EngineState;
  private shown: EngineState;
  private extrasNow: SessionView;
  private listeners = new Set<() => void>();
  private eventListeners = new Set<(e: EngineEvent) => void>();
  private readonly abort = new AbortController();
  private notes: EngineEvent[] = [];
  /** The last stream line taken (its `seq`), and who waits for the stream to get that far. */
  private seen = 0;
  private catchUp = new Set<() => void>();
  /** Resolves when the stream ends: the guard stopped, or we detached. */
  readonly ended: Promise<string>;
  readonly engine: { getState(): EngineState; readonly plan: Plan };

  private constructor(
    private readonly client: GuardClient,
    plan: Plan,
    first: { state: EngineState; extras: SessionView },
    rest: (onLine: (m: Record<string, unknown>) => void) => Promise<void>,
    readonly readonly: boolean,
  ) {
    this.state = first.state;
    this.shown = first.state;
    this.extrasNow = first.extras;
    const self = this;
    this.engine = {
      getState: () => self.shown,
      plan,
    };
    this.ended = rest((m) => this.take(m)).then(
      () => 'the guard stopped',
      (err: Error) => (this.abort.signal.aborted ? 'detached' : `lost the guard: ${err.message}`),
    );
  }

  /** Connects and waits for the guard's first snapshot. */
  static async connect(socket: string, plan: Plan, o: { readonly: boolean }): Promise<AttachedSession> {
    const client = new GuardClient(socket);
    const abort = new AbortController();
    let resolveFirst: (v: { state: EngineState; extras: SessionView }) => void = () => undefined;
    const first = new Promise<{ state: EngineState; extras: SessionView }>((r) => (resolveFirst = r));
    let sink: ((m: Record<string, unknown>) => void) | null = null;
    const backlog: Array<Record<string, unknown>> = [];
    const streaming = client.stream((m) => {
      if (m.type === 'snapshot') resolveFirst({ state: m.state as EngineState, extras: m.extras as SessionView });
      else if (sink) sink(m);
      else backlog.push(m);
    }, abort.signal);
    // The wait for the first snapshot is bounded; its timer is cleared, or it would keep a cockpit
    // that quits (or loses its terminal) within 15 s of attaching alive until it fires.
    let timer: NodeJS.Timeout | undefined;
    const got = await Promise.race([first, streaming.then(() => null), new Promise<null>((r) => (timer = setTimeout(() => r(null), SNAPSHOT_WAIT_MS)))]);
    clearTimeout(timer);
    if (!got) {
      abort.abort();
      await client.close();
      throw new Error(`the guard on ${socket} sent no state`);
    }
    const s = new AttachedSession(
      client,
      plan,
      got,
      (onLine) => {
        sink = onLine;
        for (const m of backlog.splice(0)) onLine(m);
        return streaming;
      },
      o.readonly,
    );
    s.abort.signal.addEventListener('abort', () => abort.abort());
    return s;
  }

  get actionRunning(): RunningAction | null {
    return this.extrasNow.action ?? null;
  }

  extras(): SessionView {
    return this.extrasNow;
  }

  subscribe(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  onEvent(cb: (e: EngineEvent) => void): () => void {
    this.eventListeners.add(cb);
    return () => this.eventListeners.delete(cb);
  }

  /** A line only this cockpit shows (a refusal of a sign-off, a lost connection): a `session.note` among the guard's events. */
  note(text: string, level: 'info' | 'warn' | 'error' = 'info'): void {
    this.notes = [...this.notes.slice(-50), { type: 'session.note', at: this.state.now, topic: 'info', level, text }];
    this.merge();
    this.changed();
  }

  /** The state shown: the guard's, with this cockpit's notes merged by time (a new object only when either changed). */
  private merge(): void {
    if (!this.notes.length) {
      this.shown = this.state;
      return;
    }
    const events = [...this.state.events, ...this.notes].map((e, i) => ({ e, i }));
    events.sort((a, b) => a.e.at - b.e.at || a.i - b.i);
    this.shown = { ...this.state, events: events.map((x) => x.e) };
  }

  refresh(): void {
    void this.client.command('refresh').catch((err: Error) => this.note(`refresh failed: ${err.message}`, 'warn'));
  }

  async promote(req: PromoteRequest): Promise<Outcome> {
    const args: Record<string, unknown> = {};
    if (req.stageId !== undefined) args.stageId = req.stageId;
    if (req.reason !== undefined) args.reason = req.reason;
    if (req.override) args.override = req.override;
    return this.act('promote', args);
  }

  async rollback(req: RollbackRequest): Promise<Outcome> {
    const args: Record<string, unknown> = {};
    if (req.stageId !== undefined) args.stageId = req.stageId;
    if (req.expectNotRolledBack) args.expectNotRolledBack = true;
    if (req.reason !== undefined) args.reason = req.reason;
    if (req.includeOptional) args.includeOptional = req.includeOptional;
    return this.act('rollback', args);
  }

  /** Settles with the guard's answer (rejects with its refusal), so the dialog says what the guard did. */
  signoff(gateId: string, note: string, o: { stageId?: string } = {}): Promise<void> {
    if (this.readonly) throw new Error('read-only: sign-off is disabled');
    return this.client.command('signoff', { gateId, note, ...(o.stageId !== undefined ? { stageId: o.stageId } : {}) }).then(
      (a) => {
        if (a.ok) return;
        const why = a.refused ?? a.error ?? 'refused';
        this.note(`sign-off refused: ${why}`, 'warn');
        throw new Error(why);
      },
      (err: Error) => {
        this.note(`sign-off failed: ${err.message}`, 'error');
        throw err;
      },
    );
  }

  /** Whether this cockpit asked its guard to stop (and the guard said yes). */
  stopAsked = false;

  /** Asks the guard to stop (it lets a running action finish first). */
  async stopGuard(): Promise<Outcome> {
    const out = await this.act('stop', { from: 'cockpit' });
    if (out.ok) this.stopAsked = true;
    return out;
  }

  async detach(): Promise<void> {
    this.abort.abort();
    await this.ended.catch(() => undefined);
    await this.client.close();
  }

  private async act(command: string, args: Record<string, unknown>): Promise<Outcome> {
    if (this.readonly) return { ok: false, refused: `read-only: ${command} is disabled` };
    try {
      const a = await this.client.command(command, args);
      // The answer (an action's outcome) is shown with the state it was given on, never before it.
      if (a.seq !== undefined) await this.readUpTo(a.seq);
      if (!a.ok && (a.refused || a.error)) return { ok: false, refused: a.refused ?? a.error };
      return a.summary !== undefined ? { ok: a.ok, result: { summary: a.summary } } : { ok: a.ok };
    } catch (err) {
      return { ok: false, refused: `the guard did not answer: ${(err as Error).message}` };
    }
  }

  /** Waits (at most STREAM_LAG_MS) until the stream has brought line `seq`, or has ended. */
  private async readUpTo(seq: number): Promise<void> {
    if (this.seen >= seq) return;
    let wake: () => void = () => undefined;
    const caught = new Promise<void>((r) => (wake = r));
    this.catchUp.add(wake);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([caught, this.ended, new Promise((r) => (timer = setTimeout(r, STREAM_LAG_MS)))]);
    clearTimeout(timer);
    this.catchUp.delete(wake);
  }

  private take(m: Record<string, unknown>): void {
    if (m.type === 'state' || m.type === 'snapshot') {
      this.state = m.state as EngineState;
      this.extrasNow = m.extras as SessionView;
      this.merge();
      this.changed();
    } else if (m.type === 'event') {
      for (const cb of this.eventListeners) cb(m.event as EngineEvent);
    }
    if (typeof m.seq === 'number' && m.seq > this.seen) {
      this.seen = m.seq;
      for (const w of this.catchUp) w();
    }
  }

  private changed(): void {
    for (const cb of this.listeners) cb();
  }
}
