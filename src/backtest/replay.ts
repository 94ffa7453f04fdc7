/**
 * Backtest: a plan's gates replayed over history through the same gate
 * state machine (stepGate) with the evaluation times as the clock. No action
 * runs. History is either Prometheus (range queries at the plan's polling
 * cadence, in chunks) or recordings (the recorded check results, judged by
 * this plan's thresholds).
 */
import { createGateRuntime, effectiveOnFail, gateBlocks, stepGate, type GateRuntime } from '../engine/gate.js';
import { rangeResults } from '../engine/range.js';
import type { CheckResult } from '../engine/types.js';
import { moduleOf } from '../../checks/index.js';
import type { GateSpec, Plan } from '../plan/schema.js';
import { PromError, type PromClient } from '../sources/types.js';
import { describePromError } from '../sources/types.js';

export interface Window {
  start: number;
  end: number;
}

/** One gate's evaluations: [time, what its check would have said]. */
export type GateTrace = Array<[number, CheckResult]>;

export interface GateTarget {
  spec: GateSpec;
  stageId: string | null;
}

export interface Episode {
  /** When the breach began (first breaching evaluation). */
  breachStart: number;
  /** When the gate went failing. */
  failAt: number;
  /** When it left failing (undefined: still failing at the end). */
  end?: number;
}

export interface GateOutcome {
  gateId: string;
  stageId: string | null;
  onFail: string;
  evaluations: number;
  noData: number;
  errors: number;
  /** The first error's reason, when any evaluation could not be made. */
  firstError?: string;
  /** Times the gate went pending / failing. */
  pending: number;
  failing: number;
  /** failing episodes of a rollback gate: each would have rolled back. */
  rollbacks: number;
  blockedMs: number;
  longestBreach: { ms: number; from: number; to: number } | null;
  episodes: Episode[];
  /** failing episodes that began in a window marked good. */
  falseFailures: number;
  /**
   * Per bad window: when the gate went failing in it. detectedAt null: it never did — `missed` when
   * every evaluation there was made, `unknown` when some could not be (errors) and may have hidden it.
   */
  detections: Array<{ window: Window; detectedAt: number | null; ms: number | null; unknown?: boolean }>;
}

export function stageTargets(plan: Plan, stageId?: string): GateTarget[] {
  const stages = stageId ? plan.stages.filter((s) => s.id === stageId) : plan.stages;
  if (stageId && stages.length === 0) throw new Error(`no stage "${stageId}" (stages: ${plan.stages.map((s) => s.id).join(', ')})`);
  return [...stages.flatMap((s) => s.gates.map((spec) => ({ spec, stageId: s.id }))), ...plan.gates.map((spec) => ({ spec, stageId: null }))];
}

/** Evaluation times from `from` to `to` at the plan's polling phases (the window starting at `from`). */
export function evaluationTimes(plan: Plan, from: number, to: number): Array<{ at: number; every: number }> {
  const out: Array<{ at: number; every: number }> = [];
  const phases = plan.polling.phases;
  let t = from;
  let phaseStart = from;
  for (const [i, ph] of phases.entries()) {
    const last = i === phases.length - 1 || ph.for === undefined;
    const phaseEnd = last ? to : Math.min(to, phaseStart + ph.for!);
    for (; last ? t <= to : t < phaseEnd; t += ph.every) out.push({ at: t, every: ph.every });
    if (last) break;
    phaseStart = phaseEnd;
  }
  return out;
}

/** Kinds of Prometheus failure worth asking again (a passing overload or outage), not a wrong query. */
const TRANSIENT = new Set(['unreachable', 'timeout', 'unavailable', 'http']);

/**
 * The trace of a query gate from Prometheus: one range query per run of equal
 * steps, split into chunks of at most `chunkPoints` steps. A chunk that fails
 * for a passing reason is asked again (`attempts` in all, `retryMs` apart);
 * one that still fails is that many error evaluations, whose reason names the
 * chunk's span (and the chunks after it are asked once until one answers).
 */
export async function promTrace(
  prom: PromClient,
  spec: GateSpec,
  times: Array<{ at: number; every: number }>,
  o: { chunkPoints?: number; onChunk?: (done: number, total: number) => void; signal?: AbortSignal; attempts?: number; retryMs?: number } = {},
): Promise<GateTrace> {
  const attempts = o.attempts ?? 3;
  const retryMs = o.retryMs ?? 1_000;
  const chunkPoints = o.chunkPoints ?? 1_000;
  const chunks: Array<{ start: number; end: number; step: number }> = [];
  let i = 0;
  while (i < times.length) {
    const step = times[i]!.every;
    let j = i;
    while (j + 1 < times.length && times[j + 1]!.every === step && times[j + 1]!.at - times[j]!.at === step && j + 1 - i < chunkPoints) j++;
    chunks.push({ start: times[i]!.at, end: times[j]!.at, step });
    i = j + 1;
  }
  const out: GateTrace = [];
  const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');
  // After a chunk failed every attempt, Prometheus is likely down: the next chunks are asked once until one answers.
  let tries = attempts;
  for (const [n, c] of chunks.entries()) {
    for (let attempt = 1; ; attempt++) {
      try {
        const series = await prom.queryRange(moduleOf(spec).history!(spec)!, { start: c.start, end: c.end, stepMs: c.step, signal: o.signal });
        out.push(...rangeResults(series, c.start, c.end, c.step, spec.reduce));
        tries = attempts;
        break;
      } catch (err) {
        if (attempt < tries && !o.signal?.aborted && err instanceof PromError && TRANSIENT.has(err.kind)) {
          await new Promise((r) => setTimeout(r, retryMs * attempt));
          continue;
        }
        const reason = `chunk ${n + 1} of ${chunks.length}, ${iso(c.start)} – ${iso(c.end)}, ${attempt > 1 ? `${attempt} attempts` : '1 attempt'}: ${describePromError(err)}`;
        for (let t = c.start; t <= c.end; t += c.step) out.push([t, { status: 'error', reason }]);
        tries = 1;
        break;
      }
    }
    o.onChunk?.(n + 1, chunks.length);
  }
  return out;
}

/** Runs one gate's trace through the state machine and measures it. */
export function replayGate(target: GateTarget, trace: GateTrace, plan: Plan, o: { good?: Window[]; bad?: Window[] } = {}): GateOutcome {
  const start = trace[0]?.[0] ?? 0;
  let rt: GateRuntime = createGateRuntime(target.spec, target.stageId, plan.mode, start);
  const out: GateOutcome = {
    gateId: target.spec.id,
    stageId: target.stageId,
    onFail: effectiveOnFail(rt),
    evaluations: 0,
    noData: 0,
    errors: 0,
    pending: 0,
    failing: 0,
    rollbacks: 0,
    blockedMs: 0,
    longestBreach: null,
    episodes: [],
    falseFailures: 0,
    detections: [],
  };
  const errorsAt: number[] = [];
  let open: Episode | undefined;
  let lastAt: number | undefined;
  let breach: { from: number; to: number } | undefined;
  const closeBreach = () => {
    if (breach && (!out.longestBreach || breach.to - breach.from > out.longestBreach.ms)) out.longestBreach = { ms: breach.to - breach.from, from: breach.from, to: breach.to };
    breach = undefined;
  };
  for (const [at, result] of trace) {
    if (lastAt !== undefined && gateBlocks(rt)) out.blockedMs += at - lastAt;
    const prev = rt.state;
    rt = stepGate(rt, result, at);
    out.evaluations++;
    if (rt.state === 'no data') out.noData++;
    if (rt.state === 'error') {
      errorsAt.push(at);
      out.errors++;
      out.firstError ??= rt.why;
    }
    if (rt.state === 'pending' && prev !== 'pending') out.pending++;
    if (rt.state === 'failing' && prev !== 'failing') {
      out.failing++;
      if (out.onFail === 'rollback') out.rollbacks++;
      open = { breachStart: rt.breachSince ?? at, failAt: at };
      out.episodes.push(open);
    }
    if (rt.state !== 'failing' && open) {
      open.end = at;
      open = undefined;
    }
    if (rt.breachSince !== undefined) breach = { from: rt.breachSince, to: at };
    else closeBreach();
    lastAt = at;
  }
  closeBreach();
  const inside = (t: number, w: Window) => t >= w.start && t <= w.end;
  out.falseFailures = out.episodes.filter((e) => (o.good ?? []).some((w) => inside(e.failAt, w))).length;
  out.detections = (o.bad ?? []).map((w) => {
    const ongoing = out.episodes.find((e) => e.failAt < w.start && (e.end === undefined || e.end > w.start));
    const first = ongoing ? { failAt: w.start } : out.episodes.find((e) => inside(e.failAt, w));
    if (first) return { window: w, detectedAt: first.failAt, ms: first.failAt - w.start };
    return { window: w, detectedAt: null, ms: null, ...(errorsAt.some((t) => inside(t, w)) ? { unknown: true } : {}) };
  });
  return out;
}

/** Why a gate cannot be replayed from Prometheus (undefined: it can). */
export function notFromPrometheus(spec: GateSpec): string | undefined {
  const m = moduleOf(spec);
  if (m.history?.(spec) !== undefined) return undefined;
  if (m.judged) return `${m.kind} gates are not replayed from Prometheus (a recording has their judgements)`;
  return `${m.kind} gates have no Prometheus history (a recording has their results)`;
}
