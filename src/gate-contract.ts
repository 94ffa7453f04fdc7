/**
 * The contract between the gate kinds (checks/) and the core: what a check is
 * given (CheckContext) and what it says (CheckResult). checks/ depends on this
 * file, never on the engine; the engine depends on checks/ only through the
 * registry (checks/index.ts).
 */
import type { Clock } from './clock.js';
import type { CompareDetail, ScoreDetail } from './judge/types.js';
import type { GateKind, GateSpec } from './plan/schema.js';
import type { NodeStatus, PromAlert, PromClient } from './sources/types.js';

export type Value = number | string | boolean;

/** One node's or one series' share of a gate's value. */
export type Part = { name: string; value: Value | null; note?: string };

/** The canary judge's view data: one metric's comparison, or a stage's score. */
export type JudgeView = { kind: 'compare'; detail: CompareDetail } | { kind: 'score'; detail: ScoreDetail };

/** What one check says about its gate at one evaluation. */
export type CheckResult =
  | {
      status: 'value';
      value: Value;
      /** Per-node (health checks) or per-series (PromQL) breakdown. */
      parts?: Part[];
      /** Baseline the check measured itself (evidence `baseline.field`, baseline query). */
      baseline?: number;
      note?: string;
      warnings?: string[];
      /** compare and score gates: how the judge decided (both cohorts, U, p, estimate, interval). */
      judge?: JudgeView;
      /**
       * The value does not breach, but a breach is building that the value cannot show yet (a node
       * failed fewer probes in a row than the gate needs): the gate is `pending`, never `ok`.
       */
      building?: string;
    }
  /** Nothing to compare and nothing wrong (a health field absent or null on every node, where the plan says absent means ok). */
  | { status: 'clear'; note: string; parts?: Part[] }
  | { status: 'no data'; reason: string; parts?: Part[]; judge?: JudgeView }
  | { status: 'error'; reason: string; parts?: Part[] };

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
  /** When a file was last written (ms since the epoch); absent where files are not read (replay). */
  fileModifiedAt?(path: string): Promise<number>;
  /** When the rollout entered the stage being judged. */
  stageEnteredAt: number;
  signoffs: ReadonlyMap<string, { operator: string; at: number; note: string }>;
  signal?: AbortSignal;
}

/** What the engine knows about this gate that a check may use. */
export interface GateMemo {
  /** The baseline already captured for this gate (offset baselines are fetched once). */
  baseline?: number;
}

/**
 * A check reads one gate's evidence (a PromQL value, node health, an alert, a command, a report
 * file, label values, a sign-off) and says what it saw. Checks never decide states: the gate state
 * machine does (src/engine/gate.ts).
 */
export type Check = (gate: GateSpec, ctx: CheckContext, memo: GateMemo) => Promise<CheckResult>;

/** A problem of a plan: the path of the field to blame and, for a query, the offending character's index in it. */
export interface PlanProblem {
  path: Array<string | number>;
  /** Point at the key itself, or at its value (the default). */
  at?: 'key' | 'value';
  /** For a string value: the index of the offending character inside it (a PromQL token). */
  index?: number;
  message: string;
}

/** A gate as read from the plan's YAML, before the schema: any field may be missing or of the wrong shape. */
export interface RawGateRef {
  gate: Record<string, unknown>;
  /** Its kind, when it has exactly one. */
  kind: GateKind | undefined;
  path: Array<string | number>;
  /** null for a plan-wide gate. */
  stageIndex: number | null;
}

/** One question `validate --online` asks Prometheus: does this alerting rule exist, does it accept this query, has this selector series. */
export type OnlineAsk = ({ alertRule: string } | { query: string } | { selector: string }) & { field: Array<string | number> };

/**
 * One gate kind: everything the core needs to know about it, behind one interface (as Argo Rollouts'
 * metric providers are, metric/provider.go). The registry (checks/index.ts) holds one per kind; the
 * engine and the plan's validation look a gate's kind up there and hold no per-kind switch.
 */
export interface GateKindModule {
  /** The plan field that makes a gate this kind (`query:`, `health:`, …). */
  readonly kind: GateKind;
  /** Fields of a gate this kind owns besides its own key (healthField's `expect`, `absent`): refused on other kinds. */
  readonly ownFields?: readonly string[];
  /** Reads a number: relative thresholds ("> +10%") apply. */
  readonly readsNumber?: boolean;
  /** The `baseline:` forms only this kind takes, each with what to say when another kind uses it. */
  readonly baselines?: Readonly<Record<string, string>>;
  /**
   * Problems of this kind's part of one gate, read from the raw plan (any shape: skip what is not the
   * expected one, the schema reports it), with the plan's other gates for cross-gate rules.
   */
  validate?(ref: RawGateRef, gates: readonly RawGateRef[]): PlanProblem[];
  /** What `validate --online` asks Prometheus about this gate, each with the path (below the gate) of the field it comes from. */
  onlineAsks?(gate: GateSpec): OnlineAsk[];
  /** The source the check asks: the plan needs it (validation), and a Prometheus kind is not asked while Prometheus is down. */
  readonly source?: 'prometheus' | 'nodes';
  /** The check: what it collects at each poll. */
  readonly check: Check;
  /** The query, command, path or alert name the gate checks, in one line. */
  describe(gate: GateSpec): string;
  /** The fail threshold when the plan gives none ("> 0" for counts, "!= 0" for exit codes); undefined: none. */
  defaultFail?(gate: GateSpec): string | undefined;
  /** The warn threshold when the plan gives none. */
  defaultWarn?(gate: GateSpec): string | undefined;
  /** Why the check was not asked while Prometheus is down (`promDown` says what failed). */
  notAsked?(promDown: string): string;
  /** A result stays good until a refresh or a stage change (a command is not run at every poll). */
  readonly cachedUntilRefresh?: boolean;
  /**
   * The PromQL whose history is this gate's past: a range of it rebuilds `for:` (backfill), its value at
   * the stage's entry is the first-value baseline of a restarted rollout. Undefined: no history to read.
   */
  history?(gate: GateSpec): string | undefined;
  /** Its result is a judge's decision (canary versus baseline): a backtest does not replay it, a recording has it. */
  readonly judged?: boolean;
  /** The gate reads the nodes' deep health probes. */
  readsDeepHealth?(gate: GateSpec): boolean;
  /** A derived gate (score): never asked, its result computed from the other gates after each poll. */
  derive?(gate: GateSpec, gates: ReadonlyArray<{ spec: GateSpec; judge?: { kind: string; detail: unknown }; state: string }>): CheckResult;
  /** The gate's condition comes from its value alone, no thresholds (a sign-off: true is ok, anything else pending). */
  settle?(value: Value, note: string | undefined): { condition: 'ok' | 'pending'; why: string };
  /** A person's sign-off: the result it gives the gate, or why it is refused. Undefined: the kind takes none. */
  signoff?(gate: GateSpec, by: { operator: string; note: string }): { refused: string } | { result: CheckResult };
  /** Waits for a person, not for a value: pending does not make polling hot. */
  readonly awaitsPerson?: boolean;
  /** The nodes a blocking gate of this kind blocks on, from its last parts (`breaches` applies the gate's fail thresholds). */
  blockingNodes?(parts: readonly Part[], breaches: (value: Value) => boolean): string[];
  /** Probes one poll of a one-shot `check` needs to decide the gate (node health: N failures in a row). */
  probesToDecide?(gate: GateSpec): number;
}
