/**
 * What a deploy-window report holds: everything the Markdown and HTML
 * renderers show, computed once from a recording by `summarise`. Times are
 * epoch milliseconds; durations are milliseconds.
 */
import type { GateKind, Mode, OnFail } from '../plan/schema.js';
import type { Unit } from '../plan/units.js';
import type { GateState, OverrideFields, StageStatus, Value } from '../engine/types.js';

/**
 * passed: the window ran to its end with every guarding gate passing; complete: the rollout reached
 * its final stage with every guarding gate passing, and the recording ends before the window does;
 * interrupted: the recording ends before either.
 */
export type Verdict = 'passed' | 'complete' | 'rolled back' | 'failed' | 'interrupted';

export interface ReportModel {
  service: string;
  environment: string;
  planFile: string;
  planText: string;
  description?: string;
  operator?: string;
  /** The demo's time acceleration, when recorded from the demo. */
  speed?: number;
  window: WindowReport;
  verdict: { outcome: Verdict; reasons: string[] };
  /** The gates that decided the verdict (report keys), most decisive first: shown first, with their charts. */
  decisive: string[];
  stages: StageReport[];
  gates: GateReport[];
  alerts: AlertReport[];
  actions: ActionReport[];
  refusals: RefusalReport[];
  overrides: OverrideReport[];
  rollbackRequests: RollbackRequestReport[];
  signoffs: SignoffReport[];
  notifications: NotificationSummary;
  nodes: NodeReport;
  prometheus: Array<{ at: number; kind: 'down' | 'up'; error?: string }>;
  polls: { count: number; failed: number };
  /** Things the reader should know about the recording itself (a replay that diverged, a cut-short file). */
  warnings: string[];
}

export interface WindowReport {
  start: number;
  /** The last recorded moment. */
  end: number;
  durationMs: number;
  /** The plan's polling window. */
  plannedMs: number;
  plannedEnd: number;
  completed: boolean;
  completedAt?: number;
  /** The engine's own verdict at window.completed. */
  engineVerdict?: 'pass' | 'fail';
}

export type StageEntry = 'start' | 'promote' | 'rollback';

export interface StageVisit {
  enteredAt: number;
  by: StageEntry;
  leftAt?: number;
  leftBy?: 'promote' | 'rollback';
  rolledBackAt?: number;
}

export interface StageReport {
  id: string;
  title: string;
  index: number;
  bakeMs: number;
  visits: StageVisit[];
  rolledBack: boolean;
  /** The engine's status at the end, or why the window never saw the stage. */
  finalStatus: StageStatus | 'not reached' | 'before window';
  /** Total time spent in the stage. */
  timeMs: number;
}

export interface GateChange {
  at: number;
  from: GateState;
  to: GateState;
  value: Value | null;
  display: string;
  why: string;
  onFail: OnFail;
}

export interface GatePoint {
  at: number;
  /** Numeric form (booleans 0/1, strings 1, missing null), as in the sparkline. */
  value: number | null;
  display: string;
  state: GateState;
}

export interface GateSegment {
  from: number;
  to: number;
  state: GateState;
}

export interface GateReport {
  /** Unique in the report: stage id (or "*" for plan-wide) and gate id. */
  key: string;
  id: string;
  stageId: string | null;
  title: string;
  kind: GateKind;
  subject: string;
  onFail: OnFail;
  mode: Mode;
  /** What the values are, for axis labels. */
  unit?: Unit;
  /** Thresholds as the cockpit shows them. */
  fail: string[];
  warn: string[];
  /** Numeric targets of the thresholds, for the chart. */
  failLines: number[];
  warnLines: number[];
  timeline: GateChange[];
  series: GatePoint[];
  segments: GateSegment[];
  finalState: GateState;
  finalDisplay: string;
  finalWhy: string;
  /** The extreme value in the failing direction (state: the gate's state at that evaluation). */
  worst?: { at: number; display: string; state: GateState };
  /** The most severe state the gate reached in the window (a value can peak while pending and fail later). */
  reached: GateState;
  timeInState: Partial<Record<GateState, number>>;
  failingMs: number;
  evaluations: number;
}

export interface AlertReport {
  name: string;
  source: 'prometheus' | 'flightdeck';
  severity: 'info' | 'warning' | 'critical';
  summary: string;
  firedAt: number;
  resolvedAt?: number;
  durationMs: number;
}

export interface StepReport {
  name: string;
  status: string;
  exitCode?: number | null;
  durationMs?: number;
  /** The step's last output lines (secrets already redacted in the recording). */
  tail: string[];
}

export interface ActionReport {
  action: 'promote' | 'rollback';
  stageId: string;
  operator: string;
  reason?: string;
  auto: boolean;
  dryRun: boolean;
  override?: OverrideFields;
  startedAt: number;
  finishedAt?: number;
  durationMs?: number;
  ok?: boolean;
  /** ok, partial, failed, aborted (each also as "dry run …"), unfinished. */
  result: string;
  summary?: string;
  steps: StepReport[];
  outputLines: number;
}

export interface RefusalReport {
  at: number;
  action: 'promote' | 'rollback';
  stageId: string;
  why: string;
}

export interface OverrideReport {
  at: number;
  stageId: string;
  operator: string;
  blockers: string[];
  fields: OverrideFields;
}

export interface RollbackRequestReport {
  at: number;
  stageId: string;
  gateId: string;
  reason: string;
  auto: boolean;
}

export interface SignoffReport {
  at: number;
  gateId: string;
  operator: string;
  note: string;
}

export interface NotificationSummary {
  delivered: number;
  failed: number;
  fallback: number;
  retries: number;
  channels: Array<{ channel: string; delivered: number; failed: number; fallback: number; retries: number }>;
  failures: Array<{ at: number; channel: string; outcome: 'failed' | 'fallback'; attempt: number; error?: string }>;
}

export interface NodeReport {
  events: Array<{ at: number; node: string; kind: 'down' | 'up'; reason?: string }>;
  /** Per node that went down: how often and for how long in all. */
  outages: Array<{ node: string; downs: number; downMs: number; downAtEnd: boolean }>;
}
