/**
 * A check reads one gate's evidence (a PromQL value, node health, an alert,
 * a command, a report file, label values, a sign-off) and says what it saw.
 * Checks never decide states: the gate engine does (src/engine/gate.ts).
 */
import type { Clock } from '../src/clock.js';
import type { CheckResult } from '../src/engine/types.js';
import type { GateSpec } from '../src/plan/schema.js';
import type { NodeStatus, PromAlert, PromClient } from '../src/sources/types.js';

export interface CommandOutcome {
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  /** Last lines of combined output. */
  tail: string;
  error?: string;
}

export interface CheckContext {
  clock: Clock;
  /** Directory plan-relative paths resolve against. */
  planDir: string;
  prometheus: PromClient | null;
  /** Node statuses after this poll's probes. */
  nodes: NodeStatus[];
  /** Statuses of the deep health probes (`/health/deep`), when any gate asks for them. */
  deepNodes: NodeStatus[] | null;
  /** Alerts fetched once per poll (null when Prometheus could not be asked; the error says why). */
  alerts: PromAlert[] | null;
  alertsError?: string;
  windowStart: number;
  runCommand(argv: string[], opts: { cwd: string; timeoutMs: number; env?: Record<string, string>; signal?: AbortSignal }): Promise<CommandOutcome>;
  readFile(path: string): Promise<string>;
  signoffs: ReadonlyMap<string, { operator: string; at: number; note: string }>;
  signal?: AbortSignal;
}

/** What the engine knows about this gate that a check may use. */
export interface GateMemo {
  /** The baseline already captured for this gate (offset baselines are fetched once). */
  baseline?: number;
}

export type Check = (gate: GateSpec, ctx: CheckContext, memo: GateMemo) => Promise<CheckResult>;
