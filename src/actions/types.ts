/** What running a promote or rollback takes and gives back. */
import type { Clock } from '../clock.js';
import type { HttpTransport } from '../sources/types.js';

export type ActionKind = 'promote' | 'rollback';

/** `flightdeck` lines are the runner's own notes (precondition results, kills, HTTP status). */
export type OutputStream = 'stdout' | 'stderr' | 'flightdeck';

export interface OutputLine {
  step: string;
  stream: OutputStream;
  text: string;
}

export interface ActionContext {
  kind: ActionKind;
  /** Relative paths in the action (cwd, scripts, precondition files, secret files) resolve here. */
  planDir: string;
  stageId: string;
  targetStageId?: string;
  operator: string;
  reason?: string;
  dryRun: boolean;
  /**
   * The complete environment of the steps: the process env to pass through
   * plus the plan's env. Nothing else is inherited. Secret header refs
   * ({ env: NAME }) are looked up here too.
   */
  env: Record<string, string>;
  /** Names of optional steps to run, or 'all'. */
  includeOptional?: string[] | 'all';
  /** Whether a gate of the plan is ok (or warn), for `precondition: { gate }`. Absent: such preconditions fail. */
  gateOk?(gateId: string): boolean;
  onOutput?(line: OutputLine): void;
  /** Every output line is appended here (directories are created). */
  logFile?: string;
  /** Aborting kills the running step's whole process group and stops the playbook. */
  signal?: AbortSignal;
  clock?: Clock;
  /** For HTTP steps; default: a fresh undici transport, closed when the action ends. */
  httpTransport?: HttpTransport;
  /** More secret values to keep out of output, log and result (tokens the caller knows). */
  secrets?: string[];
  /** SIGTERM -> SIGKILL grace on timeout or abort (default 2000 ms). */
  killGraceMs?: number;
  /** Called with the pid of every process a step starts (its precondition's too); it leads its own group (pgid = pid). */
  onSpawn?(pid: number): void;
  /** Called with a step's process group when the step has ended and leaves what runs there on purpose (`leftovers: leave`). */
  onDisown?(pgid: number): void | Promise<void>;
}

export type StepStatus = 'ok' | 'failed' | 'skipped' | 'timed out' | 'precondition failed' | 'aborted';

export interface StepResult {
  name: string;
  /** The argv as run (dry-run args included), secrets masked. */
  argv?: string[];
  http?: { method: string; url: string; headers: string[] };
  status: StepStatus;
  exitCode: number | null;
  signal: string | null;
  /** The HTTP status, for HTTP steps that got an answer. */
  httpStatus?: number;
  durationMs: number;
  /** The last lines of output (stdout and stderr interleaved), secrets masked. */
  tail: string[];
  /** Why it was skipped, what the precondition said, why it failed. */
  note?: string;
  precondition?: { kind: 'sha256' | 'gate' | 'run'; ok: boolean; detail: string };
  /** Processes the step's main process left running in its group when it exited, and what was done with them. */
  leftovers?: { processes: Array<{ pid: number; command: string }>; action: 'killed' | 'left running' };
  continueOnFailure: boolean;
  optional: boolean;
}

/**
 * How the action ended: `ok` every step ran (or was skipped) without failing; `partial` it ran to its
 * end but steps marked continueOnFailure failed; `failed` a step stopped it; `aborted` it was interrupted.
 */
export type ActionOutcomeKind = 'ok' | 'partial' | 'failed' | 'aborted';

export interface ActionResult {
  /** outcome === 'ok'. */
  ok: boolean;
  outcome: ActionOutcomeKind;
  /** Steps that failed (timed out, precondition failed), whether they stopped the playbook or not. */
  failedSteps: string[];
  kind: ActionKind;
  dryRun: boolean;
  /** Epoch ms. */
  startedAt: number;
  durationMs: number;
  steps: StepResult[];
  /** The step that stopped the playbook, if one did. */
  stoppedAt?: string;
  aborted: boolean;
  /** One line for the cockpit, notifications and the audit: "rollback failed at step 'restore': exit 3". */
  summary: string;
  logFile?: string;
}
