/**
 * The engine: turns observations (node probes, Prometheus answers, command
 * exits, files, sign-offs) and commands into state and events. It knows
 * nothing of the terminal; the cockpit, `check`, the --json stream, replay
 * and the demo all drive this one class.
 */
import pLimit from 'p-limit';
import { kindModule } from '../../checks/index.js';
import type { CheckContext } from '../gate-contract.js';
import type { Clock } from '../clock.js';
import type { LoadedPlan } from '../plan/load.js';
import type { GateSpec } from '../plan/schema.js';
import { describePromError, PromError, type NodePoller, type NodeStatus, type PromAlert, type PromClient } from '../sources/types.js';
import { buildAlerts } from './alerts.js';
import { createGateRuntime, effectiveOnFail, errorLimitOf, stepGate, toGateView, type GateRuntime } from './gate.js';
import { historyBaseline, keyOf, needsFirstValue } from './baselines.js';
import { rangeResults } from './range.js';
import { phaseAt } from './scheduler.js';
import { promotionBlockers, stageView } from './stage.js';
import type { BaselineRecord, CheckResult, EngineCommand, EngineEvent, EngineState, Observation, PollingView, PrometheusView, RolloutPosition, WindowRecord } from './types.js';

export interface EngineDeps {
  loaded: LoadedPlan;
  clock: Clock;
  prometheus: PromClient | null;
  nodes: NodePoller | null;
  /** Probes of the nodes' deep health paths; only asked when a gate needs them. */
  deepNodes?: NodePoller | null;
  runCommand: CheckContext['runCommand'];
  readFile(path: string): Promise<string>;
  /** When a file was last written (evidence gates with `since`). */
  fileModifiedAt?(path: string): Promise<number>;
  /** Start in this stage (default: the first). */
  stageId?: string;
  /** When that stage was entered (a restored rollout keeps its bake time); default now. */
  stageEnteredAt?: number;
  /** The stage was already rolled back (restored). */
  rolledBack?: boolean;
  /** Rebuild `for:` timers from Prometheus history before the first poll (watch, check): a cockpit opened mid-breach does not wait a whole `for`. */
  backfillOnStart?: boolean;
  /** The monitoring window of a restored rollout (default: opened when the stage was entered) and its verdict. */
  window?: WindowRecord;
  /** Baselines captured for this stage entry, by gate key (`stage/gate`, `*\/gate`). */
  baselines?: Record<string, BaselineRecord>;
  /**
   * One evaluation (`check`): a relative threshold never takes the value it judges as its own
   * baseline; it uses a saved one, or the value at the stage's entry from Prometheus history.
   */
  oneShot?: boolean;
}

export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type EventInput = DistributiveOmit<EngineEvent, 'at'>;
/** `engine` for what the engine derived from observations and commands; `external` for what others emitted. */
export type EventOrigin = 'engine' | 'external';

const EVENT_LIMIT = 500;
/** Checks run at once in a poll (each may be a Prometheus query or a command). */
const CHECK_CONCURRENCY = 8;
/** A backfill looks back at least this far (and at most this many steps: Prometheus caps a range query at 11,000 points). */
const BACKFILL_MIN_LOOKBACK_MS = 10 * 60_000;
const BACKFILL_MAX_STEPS = 10_000;
/** A failed range query of the backfill is asked again this many times in all. */
const BACKFILL_ATTEMPTS = 2;

export class Engine {
  private readonly deps: EngineDeps;
  private readonly clock: Clock;
  private stageIndex: number;
  private stageEnteredAt: number;
  private rolledBack = false;
  private stageGates: GateRuntime[] = [];
  private planGates: GateRuntime[];
  private nodeStatus: NodeStatus[] = [];
  private deepNodeStatus: NodeStatus[] | null = null;
  private promAlerts: PromAlert[] = [];
  private prom: PrometheusView;
  private events: EngineEvent[] = [];
  private listeners = new Set<(e: EngineEvent, origin: EventOrigin) => void>();
  /** While an observation is applied, its events carry its time: a replay reproduces them exactly. */
  private applyingAt: number | null = null;
  private taps = new Set<{ observation?(o: Observation): void; command?(c: EngineCommand, at: number): void }>();
  private changeListeners = new Set<() => void>();
  private inFlight: Promise<void> | null = null;
  private commandCache = new Map<string, CheckResult>();
  private signoffs = new Map<string, { operator: string; at: number; note: string }>();
  private lastPromotable: boolean | undefined;
  /** Alerts announced as firing, by source:name, so each is announced and resolved once. */
  private firingAlerts = new Map<string, { name: string; source: 'prometheus' | 'flightdeck' }>();
  private window: WindowRecord;
  private backfilled = false;
  private rollbackRequested = false;
  private cached: EngineState | null = null;
  /** When this engine started: a stage entered before it was resumed, not entered. */
  private readonly openedAt: number;
  /** How each first-value baseline was had (when, from where), by gate key. */
  private baselineMeta = new Map<string, { at: number; source: BaselineRecord['source'] }>();
  polling: PollingView;

  constructor(deps: EngineDeps) {
    this.deps = deps;
    this.clock = deps.clock;
    const plan = deps.loaded.plan;
    const now = this.clock.now();
    this.openedAt = now;
    const idx = deps.stageId ? plan.stages.findIndex((s) => s.id === deps.stageId) : 0;
    if (idx < 0) throw new Error(`no stage "${deps.stageId}" in ${deps.loaded.file} (stages: ${plan.stages.map((s) => s.id).join(', ')})`);
    this.stageIndex = idx;
    this.stageEnteredAt = Math.min(now, deps.stageEnteredAt ?? now);
    this.rolledBack = deps.rolledBack ?? false;
    // The window and its phases belong to the rollout: opened when the stage was entered (or by the
    // last rollback), not when this process started.
    this.window = deps.window ? structuredClone(deps.window) : { start: this.stageEnteredAt, end: this.stageEnteredAt + plan.polling.window };
    this.planGates = plan.gates.map((g) => createGateRuntime(g, null, plan.mode, now));
    this.stageGates = this.makeStageGates(idx, now);
    this.restoreBaselines(deps.baselines ?? {});
    this.prom = { configured: plan.prometheus !== undefined, status: 'unknown', url: plan.prometheus?.url };
    this.nodeStatus = deps.nodes?.status() ?? [];
    const phaseIndex = phaseAt(plan.polling.phases, now - this.window.start);
    this.polling = {
      label: 'starting',
      intervalMs: plan.polling.phases[phaseIndex]!.every,
      hot: false,
      phaseIndex,
      phaseStartedAt: this.window.start,
      windowStart: this.window.start,
      windowEnd: this.window.end,
      inFlight: false,
    };
  }

  /** When the current window opened (the stage's entry, or the last rollback). */
  get windowStart(): number {
    return this.window.start;
  }

  /** True when this engine took over a stage entered before it started (a restart, another operator's cockpit). */
  get resumed(): boolean {
    return this.stageEnteredAt < this.openedAt;
  }

  /** Where the rollout stands, as the store keeps it. */
  rolloutPosition(): RolloutPosition {
    const baselines: Record<string, BaselineRecord> = {};
    for (const g of this.activeGates()) {
      const meta = this.baselineMeta.get(keyOf(g));
      if (g.firstValue !== undefined && meta && needsFirstValue(g)) baselines[keyOf(g)] = { value: g.firstValue, ...meta };
    }
    return {
      stageId: this.plan.stages[this.stageIndex]!.id,
      stageEnteredAt: this.stageEnteredAt,
      rolledBack: this.rolledBack,
      window: structuredClone(this.window),
      baselines,
    };
  }

  /**
   * Says where a resumed rollout is (minute 50 of 60, which polling phase, or the window's saved
   * verdict), once, for the screen and the --json stream. Nothing for a stage this engine entered.
   */
  announceResume(): void {
    if (!this.resumed) return;
    const now = this.clock.now();
    const spec = this.plan.polling;
    const phaseIndex = phaseAt(spec.phases, now - this.window.start);
    this.emit({
      type: 'window.resumed',
      stageId: this.plan.stages[this.stageIndex]!.id,
      stageEnteredAt: this.stageEnteredAt,
      windowStart: this.window.start,
      windowEnd: this.window.end,
      elapsedMs: now - this.window.start,
      phase: phaseIndex + 1,
      phases: spec.phases.length,
      everyMs: spec.phases[phaseIndex]!.every,
      ...(this.window.completed ? { completed: this.window.completed } : {}),
    });
  }

  get plan() {
    return this.deps.loaded.plan;
  }

  /** Every event, as it happens. Returns an unsubscribe function. */
  on(listener: (e: EngineEvent, origin: EventOrigin) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called whenever the state changed (for renderers). */
  subscribe(cb: () => void): () => void {
    this.changeListeners.add(cb);
    return () => this.changeListeners.delete(cb);
  }

  /** Gates that apply now: the current stage's, then plan-wide ones. */
  activeGates(): GateRuntime[] {
    return [...this.stageGates, ...this.planGates];
  }

  getState(): EngineState {
    if (this.cached) return this.cached;
    const plan = this.plan;
    const now = this.clock.now();
    const active = this.activeGates();
    this.cached = {
      service: plan.service,
      environment: plan.environment,
      planFile: this.deps.loaded.file,
      now,
      stageIndex: this.stageIndex,
      rolledBack: this.rolledBack,
      stages: plan.stages.map((s, i) =>
        stageView(s, { index: i, currentIndex: this.stageIndex, enteredAt: i === this.stageIndex ? this.stageEnteredAt : undefined, now, rolledBack: this.rolledBack, gates: active }),
      ),
      gates: active.map(toGateView),
      nodes: this.nodeStatus,
      alerts: buildAlerts(this.promAlerts, active, this.prom, now),
      polling: { ...this.polling },
      prometheus: { ...this.prom },
      events: this.events,
    };
    return this.cached;
  }

  setPolling(p: Partial<PollingView>): void {
    this.polling = { ...this.polling, ...p };
    this.changed();
  }

  /** Events from outside the engine: actions, notifications, the scheduler. */
  emit(e: EventInput): void {
    this.publish(e, 'external');
  }

  private raise(e: EventInput): void {
    this.publish(e, 'engine');
  }

  private publish(e: EventInput, origin: EventOrigin): void {
    const ev = { at: this.applyingAt ?? this.clock.now(), ...e } as EngineEvent;
    this.events = this.events.length >= EVENT_LIMIT ? [...this.events.slice(1 - EVENT_LIMIT), ev] : [...this.events, ev];
    for (const l of this.listeners) l(ev, origin);
    this.changed();
  }

  /** Every observation applied and every command dispatched (for recordings). */
  tap(t: { observation?(o: Observation): void; command?(c: EngineCommand, at: number): void }): () => void {
    this.taps.add(t);
    return () => this.taps.delete(t);
  }

  dispatch(cmd: EngineCommand): void {
    for (const t of this.taps) t.command?.(cmd, this.clock.now());
    switch (cmd.type) {
      case 'refresh':
        this.commandCache.clear();
        return;
      case 'signoff': {
        const gate = this.activeGates().find((g) => g.spec.id === cmd.gateId);
        const signoff = gate && kindModule(gate.kind).signoff;
        if (!gate || !signoff) throw new Error(`no sign-off gate "${cmd.gateId}" in this stage`);
        const signed = signoff(gate.spec, { operator: cmd.operator, note: cmd.note });
        if ('refused' in signed) throw new Error(signed.refused);
        this.signoffs.set(cmd.gateId, { operator: cmd.operator, at: this.clock.now(), note: cmd.note });
        this.raise({ type: 'signoff', gateId: cmd.gateId, operator: cmd.operator, note: cmd.note });
        this.applyResult(gate, signed.result);
        this.afterEvaluation();
        return;
      }
      case 'entered-stage': {
        const now = this.clock.now();
        this.stageIndex = cmd.index;
        this.stageEnteredAt = now;
        this.rolledBack = false;
        this.rollbackRequested = false;
        this.commandCache.clear();
        this.stageGates = this.makeStageGates(cmd.index, now);
        for (const key of [...this.baselineMeta.keys()]) if (!key.startsWith('*/')) this.baselineMeta.delete(key);
        this.lastPromotable = undefined;
        this.openWindow(now);
        this.raise({ type: 'stage.entered', stageId: this.plan.stages[cmd.index]!.id, index: cmd.index, by: cmd.by });
        return;
      }
      case 'rolled-back':
        this.rolledBack = true;
        this.openWindow(this.clock.now());
        this.raise({ type: 'stage.rolled-back', stageId: this.plan.stages[this.stageIndex]!.id });
        return;
    }
  }

  /** A promote or a rollback opens a new window: its phases start again (seed 002: fast polling right after a deploy). */
  private openWindow(now: number): void {
    this.window = { start: now, end: now + this.plan.polling.window };
    this.polling = { ...this.polling, phaseIndex: 0, phaseStartedAt: now, windowStart: now, windowEnd: this.window.end };
  }

  /** One evaluation of everything. Concurrent calls share the poll in flight: polls never overlap. */
  poll(reason: 'schedule' | 'manual' | 'start' = 'schedule'): Promise<void> {
    if (this.inFlight) return this.inFlight;
    this.inFlight = this.runPoll(reason).finally(() => {
      this.inFlight = null;
      this.setPolling({ inFlight: false });
    });
    return this.inFlight;
  }

  private async runPoll(reason: 'schedule' | 'manual' | 'start'): Promise<void> {
    this.setPolling({ inFlight: true });
    this.raise({ type: 'poll.started', reason });
    const obs = await this.collect(reason);
    this.apply(obs);
  }

  /**
   * Asks every source once: nodes, Prometheus, then each active gate's check.
   * Changes no state (but the command-gate cache): `apply` does that, so a
   * recorded observation replays to the same states and events.
   */
  async collect(reason: Observation['reason'] = 'schedule'): Promise<Observation> {
    const startedAt = this.clock.now();
    const t0 = performance.now();
    const backfill = this.deps.backfillOnStart ? await this.fetchBackfill() : undefined;
    // derived gates (score) are computed from the others in apply(), never asked
    const active = this.activeGates().filter((g) => g.mode !== 'off' && !kindModule(g.kind).derive);
    // The sources are independent: nodes, deep health (only when a gate reads it) and Prometheus are asked at once.
    const wantsDeep = active.some((g) => kindModule(g.kind).readsDeepHealth?.(g.spec) || g.spec.deep);
    const [{ nodes, nodeError }, deepNodes, prom] = await Promise.all([
      this.askNodes(),
      this.deps.deepNodes && wantsDeep ? this.deps.deepNodes.poll().then(() => this.deps.deepNodes!.status(), () => this.deps.deepNodes!.status()) : null,
      this.askPrometheus(),
    ]);
    const ctx: CheckContext = {
      clock: this.clock,
      planDir: this.deps.loaded.dir,
      prometheus: this.deps.prometheus,
      nodes: nodes ?? this.nodeStatus,
      deepNodes: deepNodes ?? this.deepNodeStatus,
      alerts: prom?.ok ? prom.alerts : null,
      alertsError: prom ? (prom.ok ? undefined : prom.error) : 'no Prometheus configured in the plan',
      windowStart: this.windowStart,
      runCommand: this.deps.runCommand,
      readFile: this.deps.readFile,
      fileModifiedAt: this.deps.fileModifiedAt,
      stageEnteredAt: this.stageEnteredAt,
      signoffs: this.signoffs,
    };
    const promDown = prom && !prom.ok && prom.down ? prom.error : undefined;
    const limit = pLimit(CHECK_CONCURRENCY);
    const results: Record<string, CheckResult> = {};
    const baselines: NonNullable<Observation['baselines']> = {};
    await Promise.all([
      ...active.map((g) =>
        limit(async () => {
          results[g.spec.id] = await this.runCheck(g, ctx, promDown);
        }),
      ),
      ...active.filter((g) => this.wantsHistoryBaseline(g)).map((g) =>
        limit(async () => {
          const b = promDown ? undefined : await historyBaseline(this.deps.prometheus!, kindModule(g.kind).history!(g.spec)!, g.spec.reduce, this.stageEnteredAt);
          if (b) baselines[keyOf(g)] = b;
        }),
      ),
    ]);
    return {
      reason,
      startedAt,
      at: this.clock.now(),
      durationMs: Math.round(performance.now() - t0),
      nodes,
      deepNodes,
      nodeError,
      prom,
      results,
      ...(Object.keys(baselines).length ? { baselines } : {}),
      ...(backfill ? { backfill } : {}),
    };
  }

  /** A gate whose first-value baseline was not captured at the stage's entry, and may be had from Prometheus history. */
  private wantsHistoryBaseline(g: GateRuntime): boolean {
    // Only a known entry time has a history to read: a stage entered "now" by a one-shot check has none.
    return this.resumed && g.awaitBaseline === true && g.firstValue === undefined && g.baselineMissing === undefined && kindModule(g.kind).history?.(g.spec) !== undefined && this.deps.prometheus !== null;
  }

  private missingBaselineWhy(g: GateRuntime): string {
    if (!this.resumed) return 'the stage\'s entry time is not known (no saved rollout state), so neither a saved baseline nor history';
    if (kindModule(g.kind).history?.(g.spec) === undefined) return 'none saved for this stage entry, and this kind of gate has no history to read';
    return 'none saved for this stage entry, and Prometheus history at the entry not read yet';
  }

  private async runCheck(g: GateRuntime, ctx: CheckContext, promDown: string | undefined): Promise<CheckResult> {
    const kind = kindModule(g.kind);
    // Name what failed: for an alert gate its own endpoint; a query was not sent at all.
    if (promDown && kind.source === 'prometheus') return { status: 'error', reason: kind.notAsked?.(promDown) ?? `not asked: Prometheus is down (${promDown})` };
    const cached = kind.cachedUntilRefresh ? this.commandCache.get(g.spec.id) : undefined;
    if (cached) return cached;
    try {
      const r = await kind.check(g.spec, ctx, { baseline: g.spec.baseline?.offset !== undefined ? g.baseline : undefined });
      if (kind.cachedUntilRefresh) this.commandCache.set(g.spec.id, r);
      return r;
    } catch (err) {
      return { status: 'error', reason: `check failed: ${(err as Error).message}` };
    }
  }

  private async askNodes(): Promise<{ nodes: NodeStatus[] | null; nodeError?: string }> {
    const poller = this.deps.nodes;
    if (!poller || this.plan.nodes.length === 0) return { nodes: null };
    try {
      await poller.poll();
      return { nodes: poller.status() };
    } catch (err) {
      return { nodes: poller.status(), nodeError: (err as Error).message };
    }
  }

  private async askPrometheus(): Promise<Observation['prom']> {
    const prom = this.deps.prometheus;
    if (!prom) return null;
    try {
      return { ok: true, alerts: await prom.alerts() };
    } catch (err) {
      const down = !(err instanceof PromError) || ['unreachable', 'timeout', 'unavailable'].includes(err.kind);
      return { ok: false, error: describePromError(err), down };
    }
  }

  /**
   * Replays each PromQL `for` gate's recent past from a range query, so that
   * `for: 10m` means "breaching for ten minutes" from the first evaluation: in
   * a one-shot `check`, and in a `watch` opened mid-breach (`backfillOnStart`:
   * the first observation then carries the history, so a recording replays
   * it too). Once per engine; silent: no events.
   */
  async backfill(): Promise<void> {
    const history = await this.fetchBackfill();
    if (history) this.applyBackfill(history);
  }

  private async fetchBackfill(): Promise<Observation['backfill']> {
    const prom = this.deps.prometheus;
    // Once per engine: the gates of a stage entered later start from their own entry, not from history.
    if (!prom || this.backfilled) return undefined;
    this.backfilled = true;
    const now = this.clock.now();
    const stepMs = Math.max(1_000, Math.min(this.plan.polling.phases[0]!.every, this.plan.polling.hot * 6));
    const out: NonNullable<Observation['backfill']> = {};
    await Promise.all(
      this.activeGates()
        .filter((g) => kindModule(g.kind).history?.(g.spec) !== undefined && g.mode !== 'off' && g.spec.for !== undefined)
        .map(async (g) => {
          // Look back well past `for`, so "for 40s" says how long the breach has really held (not `for` + a step).
          const lookback = Math.min(Math.max(4 * g.spec.for!, g.spec.for! + 20 * stepMs, BACKFILL_MIN_LOOKBACK_MS), BACKFILL_MAX_STEPS * stepMs);
          const start = now - lookback;
          // Asked twice: one blip (a timeout, a 503) at start would otherwise cost a watch opened mid-breach a whole `for`.
          for (let attempt = 1; attempt <= BACKFILL_ATTEMPTS; attempt++) {
            try {
              const series = await prom.queryRange(kindModule(g.kind).history!(g.spec)!, { start, end: now - stepMs, stepMs });
              out[g.spec.id] = rangeResults(series, start, now - stepMs, stepMs, g.spec.reduce);
              return;
            } catch (err) {
              // The plan's own mistake (bad_data) will not mend; the live evaluation reports it, and any other last error.
              if (err instanceof PromError && err.kind === 'bad_data') return;
            }
          }
        }),
    );
    return out;
  }

  private applyBackfill(history: NonNullable<Observation['backfill']>): void {
    for (const g of this.activeGates()) {
      const steps = history[g.spec.id];
      if (!steps) continue;
      const { state, since } = g;
      for (const [at, result] of steps) Object.assign(g, stepGate(g, result, at));
      // The breach and its history are kept; the state is left for the first live evaluation to set, so that
      // its change is announced (gate.changed) and a failing rollback gate asks for its rollback.
      Object.assign(g, { state, since, lastEvaluatedAt: undefined });
    }
  }

  /** Turns one observation into state and events. Pure but for the clock's `now`. */
  apply(obs: Observation): void {
    for (const t of this.taps) t.observation?.(obs);
    this.applyingAt = obs.at;
    try {
      this.applyObservation(obs);
    } finally {
      this.applyingAt = null;
    }
  }

  private applyObservation(obs: Observation): void {
    const now = obs.at;
    if (obs.backfill) this.applyBackfill(obs.backfill);
    if (obs.nodes) this.applyNodes(obs.nodes, obs.nodeError);
    if (obs.deepNodes) this.deepNodeStatus = obs.deepNodes;
    if (obs.prom) this.applyPrometheus(obs.prom, now);
    const active = this.activeGates().filter((g) => g.mode !== 'off');
    for (const g of active) {
      const b = obs.baselines?.[keyOf(g)];
      if (b && 'value' in b && g.firstValue === undefined) {
        g.firstValue = b.value;
        this.baselineMeta.set(keyOf(g), { at: b.at, source: 'history' });
      } else if (b && 'none' in b) g.baselineMissing = b.none;
    }
    for (const g of active) {
      const r = obs.results[g.spec.id];
      if (r) this.applyResult(g, r, now);
    }
    // derived gates (score): from the other gates' judgements just applied
    for (const g of active) {
      const derive = kindModule(g.kind).derive;
      if (derive) this.applyResult(g, derive(g.spec, this.activeGates()), now);
    }
    this.afterEvaluation();
    const promDown = obs.prom && !obs.prom.ok && obs.prom.down;
    const ok = !promDown && Object.values(obs.results).every((r) => r.status !== 'error');
    this.setPolling({ lastPollAt: obs.startedAt, lastDurationMs: obs.durationMs, ...(ok ? { lastSuccessAt: now } : {}) });
    this.raise({ type: 'poll.done', durationMs: obs.durationMs, ok, gates: active.length, nodes: this.nodeStatus.length });
    if (!this.window.completed && now >= this.window.end) {
      const failed = this.rollbackRequested || this.activeGates().some((g) => (g.state === 'failing' || g.condition === 'failing') && effectiveOnFail(g) !== 'alert');
      this.window.completed = { verdict: failed ? 'fail' : 'pass', at: now };
      this.raise({ type: 'window.completed', verdict: this.window.completed.verdict });
    }
  }

  private applyNodes(nodes: NodeStatus[], error?: string): void {
    if (error) this.raise({ type: 'alert.firing', name: 'node-poll', source: 'flightdeck', summary: `node poll failed: ${error}`, severity: 'warning' });
    const before = new Map(this.nodeStatus.map((n) => [n.name, n.up]));
    this.nodeStatus = nodes;
    for (const n of nodes) {
      const was = before.get(n.name);
      if (n.up === false && was !== false) this.raise({ type: 'node.down', node: n.name, reason: n.last?.errorCode ?? n.last?.error ?? 'unhealthy' });
      if (n.up === true && was === false) this.raise({ type: 'node.up', node: n.name });
    }
  }

  private applyPrometheus(prom: NonNullable<Observation['prom']>, now: number): void {
    if (prom.ok) {
      this.promAlerts = prom.alerts;
      if (this.prom.status !== 'up') {
        if (this.prom.status === 'down') this.raise({ type: 'prometheus.up' });
        this.prom = { ...this.prom, status: 'up', lastError: undefined, since: now };
      }
      return;
    }
    if (prom.down && this.prom.status !== 'down') {
      this.prom = { ...this.prom, status: 'down', lastError: prom.error, since: now };
      this.raise({ type: 'prometheus.down', error: prom.error });
    } else {
      this.prom = { ...this.prom, lastError: prom.error };
    }
  }

  private applyResult(g: GateRuntime, result: CheckResult, now = this.clock.now()): void {
    const from = g.state;
    const first = g.lastEvaluatedAt === undefined;
    const hadBaseline = g.firstValue !== undefined;
    Object.assign(g, stepGate(g, result, now), { signoff: this.signoffs.get(g.spec.id) });
    if (!hadBaseline && g.firstValue !== undefined) this.baselineMeta.set(keyOf(g), { at: now, source: 'first value' });
    if (g.state === 'no data' && g.awaitBaseline && g.firstValue === undefined && needsFirstValue(g)) {
      g.why = `no baseline yet: ${g.baselineMissing ?? this.missingBaselineWhy(g)}`;
    }
    this.onErrorLimit(g);
    if (from === g.state && !first) return;
    const onFail = effectiveOnFail(g);
    this.raise({ type: 'gate.changed', gateId: g.spec.id, stageId: g.stageId, from, to: g.state, value: g.value, display: g.display, why: g.why, onFail });
    if (g.state === 'failing' && from !== 'failing' && onFail === 'rollback') this.requestRollback(g, `${g.spec.id} failing: ${g.why}`);
  }

  /** The gate's errorLimit-th error in a row: `onError: rollback` asks for one (in enforce mode); `hold` blocks and alerts (gate.ts, alerts.ts). */
  private onErrorLimit(g: GateRuntime): void {
    if (g.state !== 'error' || g.consecutiveErrors !== errorLimitOf(g.spec)) return;
    if (g.spec.onError === 'rollback' && g.mode === 'enforce') this.requestRollback(g, `${g.spec.id}: ${g.consecutiveErrors} errors in a row (onError rollback): ${g.why}`);
  }

  private requestRollback(g: GateRuntime, reason: string): void {
    if (this.rolledBack || this.rollbackRequested) return;
    // Once per failure: re-armed when the stage is entered again.
    this.rollbackRequested = true;
    this.raise({ type: 'rollback.requested', stageId: this.plan.stages[this.stageIndex]!.id, gateId: g.spec.id, reason, auto: true });
  }

  private afterEvaluation(): void {
    this.cached = null;
    const state = this.getState();
    const stage = state.stages[this.stageIndex]!;
    if (stage.promotable !== this.lastPromotable) {
      this.lastPromotable = stage.promotable;
      this.raise({ type: 'stage.promotable', stageId: stage.id, promotable: stage.promotable, blockers: promotionBlockers(stage) });
    }
    const firing = new Map(state.alerts.map((a) => [`${a.source}:${a.name}`, a]));
    for (const [key, a] of firing) {
      if (!this.firingAlerts.has(key) && a.state === 'firing') {
        this.firingAlerts.set(key, { name: a.name, source: a.source });
        this.raise({ type: 'alert.firing', name: a.name, source: a.source, summary: a.summary, severity: a.severity });
      }
    }
    for (const [key, a] of this.firingAlerts) {
      if (firing.get(key)?.state !== 'firing') {
        this.firingAlerts.delete(key);
        this.raise({ type: 'alert.resolved', name: a.name, source: a.source });
      }
    }
  }

  private makeStageGates(index: number, now: number): GateRuntime[] {
    const stage = this.plan.stages[index]!;
    return stage.gates.map((g: GateSpec) => createGateRuntime(g, stage.id, this.plan.mode, now));
  }

  /**
   * Saved baselines come back; a gate without one may capture its first value only when this engine
   * saw the stage's entry (not after a restart, not in a one-shot check): otherwise it would take a
   * value from the middle of an incident as "normal".
   */
  private restoreBaselines(saved: Record<string, BaselineRecord>): void {
    for (const g of this.activeGates()) {
      if (!needsFirstValue(g)) continue;
      const b = saved[keyOf(g)];
      if (b) {
        g.firstValue = b.value;
        this.baselineMeta.set(keyOf(g), { at: b.at, source: b.source });
      } else if (this.deps.oneShot || this.resumed) g.awaitBaseline = true;
    }
  }

  private changed(): void {
    this.cached = null;
    for (const cb of this.changeListeners) cb();
  }
}

