/**
 * The engine's vocabulary: what a check returns, what a gate is at a moment,
 * the whole state a front end renders, the events it streams, and the
 * commands it accepts. No terminal, no I/O.
 */
import type { GateKind, Mode, OnFail } from '../plan/schema.js';
import type { NodeStatus, PromAlert } from '../sources/types.js';

/** The words every front end shows, in this exact spelling. */
export const GATE_STATES = ['ok', 'warn', 'pending', 'failing', 'no data', 'error', 'off'] as const;
export type GateState = (typeof GATE_STATES)[number];

// What a check returns is the gate kinds' contract (src/gate-contract.ts); the engine's vocabulary re-exports it.
export type { CheckResult, JudgeView, Value } from '../gate-contract.js';
import type { CheckResult, JudgeView, Value } from '../gate-contract.js';

export interface GateSample {
  at: number;
  /** The number shown in the sparkline; strings/booleans map to 0/1, missing to null. */
  value: number | null;
  raw: Value | null;
  state: GateState;
}

/** A gate as the UI shows it. */
export interface GateView {
  id: string;
  /** null for plan-wide gates. */
  stageId: string | null;
  kind: GateKind;
  title: string;
  /** The query, command, path or alert name the gate checks. */
  subject: string;
  state: GateState;
  /** When the gate entered its state. */
  since: number;
  value: Value | null;
  /** Human form of the value, with units where known. */
  display: string;
  fail: string[];
  warn: string[];
  baseline?: number;
  /** Why the gate is in its state: "0.071 > 0.05 for 4m of 10m", "no series returned", … */
  why: string;
  /** The plan's onFail after mode is applied. */
  onFail: OnFail;
  mode: Mode;
  /** For pending: time or probes left until failing. */
  failsIn?: { ms?: number; probes?: number };
  /** Breaching since (for pending/failing). */
  breachSince?: number;
  consecutiveBreaches: number;
  /**
   * The condition the last value gave (ok, warn, pending, failing), kept while the source errors or
   * has no data: `state: error, condition: pending` is a breach held through a Prometheus outage.
   */
  condition?: 'ok' | 'warn' | 'pending' | 'failing';
  /** Error evaluations in a row; at the gate's errorLimit its onError applies. */
  consecutiveErrors?: number;
  /** Prometheus's warnings on the last answer (partial response): also in `why`. */
  warnings?: string[];
  /** True when this gate stops promotion (failing, pending, error; no data unless noData: pass). */
  blocks: boolean;
  history: GateSample[];
  parts?: Array<{ name: string; value: Value | null; note?: string }>;
  lastEvaluatedAt?: number;
  /** For manual gates: who signed off, when, with what note. */
  signoff?: { operator: string; at: number; note: string };
  /** compare and score gates: the judge's last decision, for the detail view. */
  judge?: JudgeView;
}

export type StageStatus = 'done' | 'current' | 'next' | 'rolled back';

export interface Blocker {
  gateId: string;
  state: GateState;
  display: string;
  threshold: string;
  why: string;
  /** The nodes the gate blocks on (a health gate with two nodes down names them), when it reads nodes. */
  nodes?: string[];
}

/**
 * What stops promotion, in the one shape the `stage.promotable` event and `check --json` carry: each
 * blocking gate (with the nodes it blocks on), and the bake time while it is not over.
 */
export type PromotionBlocker =
  | { kind: 'gate'; id: string; state: GateState; display: string; threshold: string; why: string; nodes?: string[] }
  | { kind: 'bake'; left: string; leftMs: number };

export interface StageView {
  id: string;
  title: string;
  index: number;
  status: StageStatus;
  bakeMs: number;
  enteredAt?: number;
  bakeRemainingMs?: number;
  /** True when bake has passed and nothing blocks. */
  promotable: boolean;
  /** Gates that stop promotion (each with value and threshold). Empty when promotable or only bake is left. */
  blockers: Blocker[];
  /** Gates in warn: promotion allowed, shown as a caution. */
  cautions: string[];
  hasPromote: boolean;
  hasRollback: boolean;
}

export interface AlertView {
  source: 'prometheus' | 'flightdeck';
  name: string;
  state: 'pending' | 'firing';
  severity: 'info' | 'warning' | 'critical';
  since: number;
  summary: string;
  labels: Record<string, string>;
}

export interface PollingView {
  /** "phase 1/2 every 30s", "hot 5s", "window over". */
  label: string;
  intervalMs: number;
  hot: boolean;
  phaseIndex: number;
  phaseStartedAt: number;
  windowStart: number;
  windowEnd: number;
  nextPollAt?: number;
  lastPollAt?: number;
  lastSuccessAt?: number;
  lastDurationMs?: number;
  inFlight: boolean;
}

export interface PrometheusView {
  configured: boolean;
  status: 'unknown' | 'up' | 'down';
  url?: string;
  lastError?: string;
  since?: number;
}

export interface EngineState {
  service: string;
  environment: string;
  planFile: string;
  now: number;
  stageIndex: number;
  /** Set after a rollback completes or is requested; the stage shows "rolled back". */
  rolledBack: boolean;
  stages: StageView[];
  /** Gates of the current stage, then plan-wide gates. */
  gates: GateView[];
  nodes: NodeStatus[];
  alerts: AlertView[];
  polling: PollingView;
  prometheus: PrometheusView;
  /** Newest last, bounded. */
  events: EngineEvent[];
}

// ---------------------------------------------------------------- the rollout

// The store's schema (store/rollout-state.ts) is the one definition of these fields.
export type { BaselineRecord, RolloutPosition, WindowRecord } from '../store/rollout-state.js';

// ---------------------------------------------------------------- observations

/**
 * Everything one poll saw. The engine's `apply` turns it into state and
 * events; a recording is a sequence of these (and commands), so a replay
 * reaches the same states without the network.
 */
export interface Observation {
  reason: 'schedule' | 'manual' | 'start';
  startedAt: number;
  at: number;
  durationMs: number;
  /** null when the plan has no nodes. */
  nodes: NodeStatus[] | null;
  /** Deep health probes, when a gate asked for them. */
  deepNodes?: NodeStatus[] | null;
  nodeError?: string;
  /** null when the plan has no Prometheus. */
  prom: { ok: true; alerts: PromAlert[] } | { ok: false; error: string; down: boolean } | null;
  /** By gate id, for every gate evaluated. */
  results: Record<string, CheckResult>;
  /** The first observation of a watch: each `for` gate's past from a range query, oldest first, replayed silently before `results`. */
  backfill?: Record<string, Array<[number, CheckResult]>>;
  /** Baselines read from Prometheus history at the stage's entry, by gate key (a resumed stage had none saved). */
  baselines?: Record<string, { value: number; at: number } | { none: string }>;
}

// ---------------------------------------------------------------- events

interface EventBase {
  at: number;
}

export type EngineEvent = EventBase &
  (
    | { type: 'poll.started'; reason: 'schedule' | 'manual' | 'start' }
    | { type: 'poll.done'; durationMs: number; ok: boolean; gates: number; nodes: number }
    | { type: 'gate.changed'; gateId: string; stageId: string | null; from: GateState; to: GateState; value: Value | null; display: string; why: string; onFail: OnFail }
    | { type: 'node.down'; node: string; reason: string }
    | { type: 'node.up'; node: string }
    | { type: 'alert.firing'; name: string; source: 'prometheus' | 'flightdeck'; summary: string; severity: AlertView['severity'] }
    | { type: 'alert.resolved'; name: string; source: 'prometheus' | 'flightdeck' }
    | { type: 'prometheus.down'; error: string }
    | { type: 'prometheus.up' }
    /** `blockers`: what stops promotion, bake time included (empty when promotable). */
    | { type: 'stage.promotable'; stageId: string; promotable: boolean; blockers: PromotionBlocker[] }
    | { type: 'stage.entered'; stageId: string; index: number; by: 'start' | 'promote' | 'rollback' }
    | { type: 'stage.rolled-back'; stageId: string }
    | { type: 'rollback.requested'; stageId: string; gateId: string; reason: string; auto: boolean }
    | { type: 'signoff'; gateId: string; operator: string; note: string }
    | { type: 'window.completed'; verdict: 'pass' | 'fail' }
    /** A process took over a stage entered before it started: where the window and its polling phases are. */
    | { type: 'window.resumed'; stageId: string; stageEnteredAt: number; windowStart: number; windowEnd: number; elapsedMs: number; phase: number; phases: number; everyMs: number; completed?: { verdict: 'pass' | 'fail'; at: number } }
    /** The plan differs from the one the window was opened with: the gates whose thresholds, for or onFail changed. */
    | { type: 'plan.changed'; windowStart: number; loadedBy: string; gates: Array<{ key: string; changes: string[] }> }
    /** The saved rollout state cannot be used: every action is refused until it is repaired. */
    | { type: 'state.unusable'; location: string; problem: string; fix: string }
    | { type: 'polling.changed'; label: string; intervalMs: number; hot: boolean }
    // --- acting (emitted by the session that runs actions) ---
    | { type: 'action.started'; action: 'promote' | 'rollback'; stageId: string; operator: string; reason?: string; auto: boolean; dryRun: boolean; override?: OverrideFields }
    | { type: 'action.output'; action: 'promote' | 'rollback'; step: string; stream: 'stdout' | 'stderr' | 'flightdeck'; text: string }
    | {
        type: 'action.finished';
        action: 'promote' | 'rollback';
        stageId: string;
        ok: boolean;
        durationMs: number;
        steps: Array<{ name: string; status: string; exitCode?: number | null; durationMs?: number }>;
        summary: string;
        /** ok; partial (continueOnFailure steps failed); failed; aborted (by a signal or quitting). */
        outcome?: 'ok' | 'partial' | 'failed' | 'aborted';
        failedSteps?: string[];
        /** What interrupted an aborted action: "SIGTERM", "flightdeck is quitting". */
        abortedBy?: string;
        auto?: boolean;
        dryRun?: boolean;
        reason?: string;
      }
    | { type: 'action.refused'; action: 'promote' | 'rollback'; stageId: string; why: string; reason?: string; auto?: boolean }
    | { type: 'override'; stageId: string; operator: string; blockers: string[]; fields: OverrideFields }
    /**
     * A line of the session's own (resumed at a stage, an adopted action, an audit write that failed,
     * a cockpit attached): an event like the others, so it is streamed, recorded and replayed.
     */
    | { type: 'session.note'; topic: 'action' | 'notify' | 'audit' | 'info'; level: 'info' | 'warn' | 'error'; text: string }
    // --- notifications ---
    | { type: 'notify.delivery'; outcome: 'delivered' | 'retry' | 'failed' | 'fallback'; channel: string; notificationId: string; attempt: number; error?: string }
  );

/** Seed 004's guarded-override payload, as audited and notified. */
export interface OverrideFields {
  manual_override: true;
  override_acknowledged: true;
  override_reason: string;
}

export type EngineEventType = EngineEvent['type'];

// ---------------------------------------------------------------- commands

export type EngineCommand =
  | { type: 'refresh' }
  | { type: 'signoff'; gateId: string; operator: string; note: string }
  /** The stage moved (a promote finished): new phases start. */
  | { type: 'entered-stage'; index: number; by: 'promote' | 'rollback' }
  | { type: 'rolled-back' };

export type { PromAlert };
