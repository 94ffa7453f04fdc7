/**
 * Running a stage's promote or rollback: the team's scripts (argv, no shell)
 * and HTTP calls, step by step, each behind its precondition, each with a
 * timeout that kills its whole process group. Output is streamed line by line
 * to the caller and the log; the result says what every step did.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { AuditStep } from '../audit/log.js';
import { systemClock } from '../clock.js';
import { formatDuration } from '../duration.js';
import type { ActionSpec } from '../plan/schema.js';
import { createHttpTransport } from '../sources/http.js';
import type { HttpTransport } from '../sources/types.js';
import { httpRecord, runHttpStep } from './http-action.js';
import { OutputSink } from './output.js';
import { checkPrecondition } from './precondition.js';
import { runProcess, type ProcessOutcome } from './process-tree.js';
import { planSteps, type PlannedStep } from './steps.js';
import type { ActionContext, ActionResult, StepResult, StepStatus } from './types.js';

export type { ActionContext, ActionKind, ActionOutcomeKind, ActionResult, OutputLine, OutputStream, StepResult, StepStatus } from './types.js';

export const DEFAULT_KILL_GRACE_MS = 2_000;
/** A `run` precondition gets at most this long (or the step's timeout when shorter). */
const PRECONDITION_TIMEOUT_MS = 60_000;

const FAILURES: ReadonlySet<StepStatus> = new Set(['failed', 'timed out', 'precondition failed']);

export async function runAction(spec: ActionSpec, ctx: ActionContext): Promise<ActionResult> {
  const clock = ctx.clock ?? systemClock;
  const startedAt = clock.now();
  const sink = new OutputSink({ logFile: ctx.logFile, onOutput: ctx.onOutput, now: () => clock.now(), secrets: ctx.secrets });
  let transport: HttpTransport | undefined = ctx.httpTransport;
  let ownTransport: HttpTransport | undefined;
  const getTransport = (): HttpTransport => {
    if (!transport) transport = ownTransport = createHttpTransport();
    return transport;
  };

  const steps = planSteps(spec, ctx.kind);
  const results: StepResult[] = [];
  let stoppedAt: string | undefined;
  let aborted = false;

  sink.line(
    ctx.kind,
    'flightdeck',
    `${ctx.kind} of stage ${ctx.stageId}${ctx.targetStageId ? ` -> ${ctx.targetStageId}` : ''} by ${ctx.operator}${ctx.dryRun ? ' (dry run)' : ''}${ctx.reason ? `: ${ctx.reason}` : ''}`,
    false,
  );
  try {
    for (const step of steps) {
      if (stoppedAt !== undefined) {
        results.push(skipped(step, `not run: step '${stoppedAt}' failed`));
        continue;
      }
      if (aborted || ctx.signal?.aborted) {
        aborted = true;
        results.push(skipped(step, 'not run: aborted'));
        continue;
      }
      if (step.optional && !optionalIncluded(step.name, ctx.includeOptional)) {
        results.push(skipped(step, 'optional step, not requested'));
        continue;
      }
      const r = await runStep(step, ctx, sink, getTransport);
      results.push(r);
      sink.line(step.name, 'flightdeck', `step ${r.status}${r.note ? `: ${r.note}` : ''} (${formatDuration(r.durationMs)})`, false);
      if (r.status === 'aborted') aborted = true;
      else if (FAILURES.has(r.status) && !step.continueOnFailure) stoppedAt = step.name;
    }
  } finally {
    if (ownTransport) await ownTransport.close().catch(() => undefined);
  }

  const failedSteps = results.filter((r) => FAILURES.has(r.status)).map((r) => r.name);
  const outcome = aborted ? 'aborted' : stoppedAt !== undefined ? 'failed' : failedSteps.length > 0 ? 'partial' : 'ok';
  const durationMs = clock.now() - startedAt;
  const summary = summarise(ctx, results, { stoppedAt, aborted, failedSteps, durationMs });
  sink.line(ctx.kind, 'flightdeck', summary, false);
  await sink.close();

  const result: ActionResult = { ok: outcome === 'ok', outcome, failedSteps, kind: ctx.kind, dryRun: ctx.dryRun, startedAt, durationMs, steps: results, aborted, summary };
  if (stoppedAt !== undefined) result.stoppedAt = stoppedAt;
  if (ctx.logFile) result.logFile = ctx.logFile;
  return result;
}

/** The steps as the audit keeps them: no output, no argv. */
export function stepsForAudit(result: ActionResult): AuditStep[] {
  return result.steps.map((s) => {
    const a: AuditStep = { name: s.name, status: s.status, exitCode: s.exitCode, signal: s.signal, durationMs: s.durationMs };
    if (s.note) a.note = s.note;
    return a;
  });
}

/** `'all'` (or a list holding "all", as a command line gives it) includes every optional step; names match exactly. */
function optionalIncluded(name: string, include: ActionContext['includeOptional']): boolean {
  return include === 'all' || (Array.isArray(include) && (include.includes(name) || include.includes('all')));
}

function skipped(step: PlannedStep, note: string): StepResult {
  return base(step, { status: 'skipped', note, durationMs: 0 });
}

function base(step: PlannedStep, r: Partial<StepResult> & { status: StepStatus; durationMs: number }): StepResult {
  return { name: step.name, exitCode: null, signal: null, tail: [], continueOnFailure: step.continueOnFailure, optional: step.optional, ...r };
}

function stepEnv(step: PlannedStep, ctx: ActionContext): Record<string, string> {
  const env: Record<string, string> = { ...ctx.env, ...(step.env ?? {}) };
  delete env.FLIGHTDECK_DRY_RUN;
  delete env.FLIGHTDECK_TARGET_STAGE;
  delete env.FLIGHTDECK_REASON;
  env.FLIGHTDECK_ACTION = ctx.kind;
  env.FLIGHTDECK_STAGE = ctx.stageId;
  if (ctx.targetStageId) env.FLIGHTDECK_TARGET_STAGE = ctx.targetStageId;
  if (ctx.reason !== undefined) env.FLIGHTDECK_REASON = ctx.reason;
  env.FLIGHTDECK_OPERATOR = ctx.operator;
  env.FLIGHTDECK_STEP = step.name;
  env.FLIGHTDECK_PLAN_DIR = resolve(ctx.planDir);
  if (ctx.dryRun) env.FLIGHTDECK_DRY_RUN = '1';
  return env;
}

async function runStep(step: PlannedStep, ctx: ActionContext, sink: OutputSink, transport: () => HttpTransport): Promise<StepResult> {
  const clock = ctx.clock ?? systemClock;
  const t0 = clock.now();
  const elapsed = (): number => clock.now() - t0;
  const env = stepEnv(step, ctx);
  const cwd = resolve(ctx.planDir, step.cwd ?? '.');
  const graceMs = ctx.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const masked = (argv: string[]): string[] => argv.map((a) => sink.mask(a));
  const finish = (r: Partial<StepResult> & { status: StepStatus }): StepResult => base(step, { durationMs: elapsed(), tail: sink.tail(step.name), ...r });

  const cwdProblem = step.run || step.precondition?.run ? await checkDir(cwd) : undefined;
  const proc = (argv: string[], timeoutMs: number): Promise<ProcessOutcome> =>
    runProcess(argv, {
      cwd,
      env,
      timeoutMs,
      graceMs,
      clock,
      signal: ctx.signal,
      onLine: (stream, text) => sink.line(step.name, stream, text),
      onNote: (text) => sink.line(step.name, 'flightdeck', text),
      onSpawn: ctx.onSpawn,
      onDisown: ctx.onDisown,
      leftovers: step.leftovers ?? 'kill',
    });

  let precondition: StepResult['precondition'];
  if (step.precondition) {
    const pre = await checkPrecondition(step.precondition, {
      planDir: ctx.planDir,
      env,
      dryRun: ctx.dryRun,
      gateOk: ctx.gateOk,
      run: async (argv) => {
        if (cwdProblem) return { ok: false, detail: cwdProblem };
        sink.line(step.name, 'flightdeck', `precondition: ${masked(argv).join(' ')}`);
        const o = await proc(argv, Math.min(PRECONDITION_TIMEOUT_MS, step.timeout));
        if (o.aborted) return { ok: false, detail: 'aborted', interrupted: 'aborted' as const };
        if (o.timedOut) return { ok: false, detail: 'timed out', interrupted: 'timed out' as const };
        return { ok: o.exitCode === 0, detail: describeExit(o) };
      },
    });
    const detail = sink.mask(pre.detail);
    precondition = { kind: pre.kind, ok: pre.ok, detail };
    sink.line(step.name, 'flightdeck', `precondition ${pre.ok ? 'ok' : 'failed'}: ${detail}`);
    if (pre.interrupted === 'aborted') return finish({ status: 'aborted', note: 'aborted during its precondition', precondition });
    if (!pre.ok) return finish({ status: 'precondition failed', note: `precondition failed: ${detail}`, precondition });
  }
  const withPre = precondition ? { precondition } : {};

  if (step.http) {
    if (ctx.dryRun && !Array.isArray(step.dryRun)) {
      return finish({ status: 'skipped', note: 'skipped (dry run)', http: httpRecord(step.http, sink), ...withPre });
    }
    const o = await runHttpStep({ step: step.name, spec: step.http, timeoutMs: step.timeout, env, planDir: ctx.planDir, sink, transport, signal: ctx.signal });
    const r: Partial<StepResult> & { status: StepStatus } = { status: o.status, http: o.record, ...withPre };
    if (o.httpStatus !== undefined) r.httpStatus = o.httpStatus;
    if (o.note) r.note = o.note;
    return finish(r);
  }

  const run = step.run ?? [];
  if (ctx.dryRun && !Array.isArray(step.dryRun)) {
    return finish({ status: 'skipped', note: step.dryRun === false ? 'skipped (dry run)' : 'skipped (dry run): the step declares no dry-run arguments', argv: masked(run), ...withPre });
  }
  const argv = ctx.dryRun && Array.isArray(step.dryRun) ? [...run, ...step.dryRun] : run;
  if (cwdProblem) return finish({ status: 'failed', note: cwdProblem, argv: masked(argv), ...withPre });
  sink.line(step.name, 'flightdeck', `$ ${masked(argv).join(' ')}`);
  const o = await proc(argv, step.timeout);
  const common: Partial<StepResult> = { argv: masked(argv), exitCode: o.exitCode, signal: o.signal, ...withPre };
  if (o.leftovers) common.leftovers = { processes: o.leftovers.processes.map((p) => ({ pid: p.pid, command: sink.mask(p.command) })), action: o.leftovers.action };
  const left = o.leftovers ? `; ${describeLeftovers(o.leftovers)}` : '';
  if (o.aborted) return finish({ status: 'aborted', note: 'aborted: the process group was killed', ...common });
  if (o.timedOut) return finish({ status: 'timed out', note: `timed out after ${formatDuration(step.timeout)}: the process group was killed`, ...common });
  if (o.error) return finish({ status: 'failed', note: sink.mask(o.error), ...common });
  if (o.exitCode === 0) return finish({ status: 'ok', ...common, ...(left ? { note: `exit 0${left}` } : {}) });
  return finish({ status: 'failed', note: `${describeExit(o)}${left}`, ...common });
}

function describeLeftovers(l: NonNullable<ProcessOutcome['leftovers']>): string {
  const n = l.processes.length;
  const what = `${n} process${n === 1 ? '' : 'es'} left behind (${l.processes.map((p) => `${p.pid} ${p.command}`).join(', ')})`;
  return `${what} ${l.action === 'killed' ? 'killed' : 'left running'}`;
}

function describeExit(o: ProcessOutcome): string {
  if (o.error) return o.error;
  if (o.exitCode !== null) return `exit ${o.exitCode}`;
  if (o.signal) return `killed by ${o.signal}`;
  return 'ended without an exit status';
}

async function checkDir(dir: string): Promise<string | undefined> {
  try {
    const st = await stat(dir);
    return st.isDirectory() ? undefined : `working directory ${dir} is not a directory`;
  } catch (err) {
    return `working directory ${dir} does not exist (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
}

function summarise(
  ctx: ActionContext,
  results: StepResult[],
  s: { stoppedAt: string | undefined; aborted: boolean; failedSteps: string[]; durationMs: number },
): string {
  const what = `${ctx.kind}${ctx.dryRun ? ' (dry run)' : ''}`;
  const took = formatDuration(s.durationMs);
  if (s.aborted) {
    const during = results.find((r) => r.status === 'aborted');
    return `${what} aborted${during ? ` during step '${during.name}'` : ''} after ${took}`;
  }
  if (s.stoppedAt !== undefined) {
    const r = results.find((x) => x.name === s.stoppedAt);
    return `${what} failed at step '${s.stoppedAt}'${r?.note ? `: ${r.note}` : ''} (${took})`;
  }
  const ran = results.filter((r) => r.status !== 'skipped').length;
  const skippedN = results.length - ran;
  const counts = `${ran} step${ran === 1 ? '' : 's'} run${skippedN ? `, ${skippedN} skipped` : ''}`;
  if (s.failedSteps.length > 0) {
    const failed = s.failedSteps.map((n) => {
      const r = results.find((x) => x.name === n);
      return `'${n}'${r?.note ? ` (${r.note})` : ''}`;
    });
    return `${what} partial: ${counts}; ${s.failedSteps.length} failed and continued past (continueOnFailure): ${failed.join(', ')} (${took})`;
  }
  return `${what} ok: ${counts} (${took})`;
}
