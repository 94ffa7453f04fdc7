/**
 * `flightdeck backtest PLAN --from T1 --to T2 [--stage ID]` (Prometheus
 * history) and `flightdeck backtest PLAN RECORDING…` (recorded results):
 * per gate, how often it would have gone pending, failing, rolled back or
 * blocked, its longest breach and when; false failures in --good windows,
 * time to detect in --bad windows; --suggest prints a plan diff.
 */
import { formatDuration, parseDuration } from '../duration.js';
import type { CheckResult } from '../engine/types.js';
import type { LoadedPlan } from '../plan/load.js';
import { MAX_RANGE_POINTS } from '../plan/schema.js';
import { readRecording } from '../record/read.js';
import { buildRuntime } from '../cli/runtime.js';
import { textTable } from '../cli/table.js';
import { evaluationTimes, notFromPrometheus, promTrace, replayGate, stageTargets, type GateOutcome, type GateTrace, type Window } from './replay.js';
import { suggest, suggestionDiff, type Suggestion } from './suggest.js';

export interface BacktestFlags {
  from?: string;
  to?: string;
  stage?: string;
  good?: string[];
  bad?: string[];
  suggest?: boolean;
  budget?: string;
  json?: boolean;
  chunk?: string;
}

export interface BacktestReport {
  source: 'prometheus' | 'recording';
  from: number;
  to: number;
  good: Window[];
  bad: Window[];
  gates: GateOutcome[];
  skipped: Array<{ gateId: string; why: string }>;
  suggestions?: Suggestion[];
}

/** "2026-11-29T10:00:00Z", unix seconds, "now", "now-1h" or "-1h". */
export function parseTime(text: string, now: number): number {
  const t = text.trim();
  if (t === 'now') return now;
  const rel = /^(?:now)?-(.+)$/.exec(t);
  if (rel) {
    const d = parseDuration(rel[1]!);
    if (d !== undefined) return now - d;
  }
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) throw new Error(`"${text}" is not a time: write an ISO time, unix seconds, now or now-1h`);
  return ms;
}

/** "T1/T2" (ISO interval) or "T1..T2". */
export function parseWindow(text: string, now: number): Window {
  const parts = text.includes('..') ? text.split('..') : text.split('/');
  if (parts.length !== 2) throw new Error(`"${text}" is not a window: write FROM/TO, such as now-60m/now-30m`);
  const start = parseTime(parts[0]!, now);
  const end = parseTime(parts[1]!, now);
  if (!(end > start)) throw new Error(`window "${text}" ends before it starts`);
  return { start, end };
}

/** A whole number of `what` from min to max, or a clear error. */
function count(text: string | undefined, flag: string, dflt: number, min: number, max: number): number {
  if (text === undefined) return dflt;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${flag} ${text}: expected a whole number from ${min} to ${max.toLocaleString('en')}`);
  return n;
}

export async function runBacktest(loaded: LoadedPlan, recordings: string[], flags: BacktestFlags, progress: (l: string) => void): Promise<BacktestReport> {
  const now = Date.now();
  // Prometheus answers at most MAX_RANGE_POINTS points per series and range query.
  const chunkPoints = count(flags.chunk, '--chunk', 1_000, 1, MAX_RANGE_POINTS);
  const budget = count(flags.budget, '--budget', 0, 0, 1_000_000);
  const plan = loaded.plan;
  const good = (flags.good ?? []).map((w) => parseWindow(w, now));
  const bad = (flags.bad ?? []).map((w) => parseWindow(w, now));
  const targets = stageTargets(plan, flags.stage);
  const skipped: BacktestReport['skipped'] = [];
  const traces = new Map<string, GateTrace>();
  let from: number;
  let to: number;
  let source: BacktestReport['source'];
  if (recordings.length) {
    source = 'recording';
    const obs: Array<{ at: number; results: Record<string, CheckResult> }> = [];
    const recordedFrom = new Set<string>();
    for (const file of recordings) {
      const rec = await readRecording(file);
      recordedFrom.add(rec.header.planFile);
      for (const e of rec.entries) if (e.kind === 'obs') obs.push({ at: e.at, results: e.results });
    }
    obs.sort((a, b) => a.at - b.at);
    for (const t of targets) {
      const trace: GateTrace = obs.filter((o) => o.results[t.spec.id]).map((o) => [o.at, o.results[t.spec.id]!]);
      if (trace.length === 0) skipped.push({ gateId: t.spec.id, why: 'not in the recording(s)' });
      else traces.set(key(t), trace);
    }
    if (traces.size === 0) {
      const recorded = [...new Set(obs.flatMap((o) => Object.keys(o.results)))];
      throw new Error(
        `none of ${loaded.file}'s gates (${targets.map((t) => t.spec.id).join(', ')}) is in ${recordings.join(', ')}: recorded from ${[...recordedFrom].join(', ')}` +
          (recorded.length ? ` with gates ${recorded.join(', ')}` : ' with no observation'),
      );
    }
    from = obs[0]?.at ?? now;
    to = obs[obs.length - 1]?.at ?? now;
  } else {
    source = 'prometheus';
    if (!flags.from || !flags.to) throw new Error('give --from and --to (or recordings to replay)');
    from = parseTime(flags.from, now);
    to = parseTime(flags.to, now);
    if (!(to > from)) throw new Error('--to must be after --from');
    const rt = buildRuntime(loaded);
    try {
      const prom = rt.prometheus;
      if (!prom) throw new Error(`${loaded.file}: no prometheus: in the plan (or --prometheus-url)`);
      const times = evaluationTimes(plan, from, to);
      for (const t of targets) {
        const why = notFromPrometheus(t.spec);
        if (why) {
          skipped.push({ gateId: t.spec.id, why });
          continue;
        }
        if (t.spec.baseline?.query || t.spec.baseline?.offset !== undefined) skipped.push({ gateId: t.spec.id, why: 'its baseline query/offset is not replayed: relative thresholds are undecided (no data)' });
        traces.set(key(t), await promTrace(prom, t.spec, times, { chunkPoints, onChunk: (d, n) => progress(`${t.spec.id}: ${d}/${n} chunk(s) of ${times.length} evaluations`) }));
      }
    } finally {
      await rt.close();
    }
  }
  const gates = targets.filter((t) => traces.has(key(t))).map((t) => replayGate(t, traces.get(key(t))!, plan, { good, bad }));
  const report: BacktestReport = { source, from, to, good, bad, gates, skipped };
  if (flags.suggest) {
    const healthy = good.length ? good : complement({ start: from, end: to }, bad);
    report.suggestions = targets
      .filter((t) => traces.has(key(t)))
      .map((t) => suggest(t, traces.get(key(t))!, plan, pathOf(plan, t), { good: healthy, bad, budget }));
  }
  return report;
}

const key = (t: { spec: { id: string }; stageId: string | null }) => `${t.stageId ?? ''}/${t.spec.id}`;

function pathOf(plan: LoadedPlan['plan'], t: { spec: { id: string }; stageId: string | null }): string {
  if (t.stageId === null) return `gates[${plan.gates.findIndex((g) => g.id === t.spec.id)}]`;
  const si = plan.stages.findIndex((s) => s.id === t.stageId);
  return `stages[${si}].gates[${plan.stages[si]!.gates.findIndex((g) => g.id === t.spec.id)}]`;
}

function complement(all: Window, holes: Window[]): Window[] {
  const out: Window[] = [];
  let cur = all.start;
  for (const h of [...holes].sort((a, b) => a.start - b.start)) {
    if (h.start > cur) out.push({ start: cur, end: h.start });
    cur = Math.max(cur, h.end);
  }
  if (cur < all.end) out.push({ start: cur, end: all.end });
  return out;
}

/** A gate that had no data at any evaluation tested nothing (a query that matches nothing then, a window before the metric existed). */
const testedNothing = (g: GateOutcome) => g.evaluations > 0 && g.noData === g.evaluations;

/** 0, or 2 when some evaluation could not be made (the counts are then a lower bound) or a gate had no data at all. */
export function backtestExitCode(r: BacktestReport): number {
  return r.gates.some((g) => g.errors > 0 || testedNothing(g)) ? 2 : 0;
}

export function formatBacktest(r: BacktestReport, planFile: string): string {
  const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');
  const lines = [`backtest of ${planFile} over ${iso(r.from)} – ${iso(r.to)} (${formatDuration(r.to - r.from)}, from ${r.source === 'prometheus' ? 'Prometheus' : 'recordings'})`, ''];
  const rows = r.gates.map((g) => [
    g.gateId,
    g.stageId ?? '(plan)',
    g.onFail,
    String(g.evaluations),
    String(g.noData),
    String(g.errors),
    String(g.pending),
    String(g.failing),
    String(g.rollbacks),
    formatDuration(g.blockedMs),
    g.longestBreach ? `${formatDuration(g.longestBreach.ms)} at ${iso(g.longestBreach.from)}` : '-',
    r.good.length ? String(g.falseFailures) : '-',
    g.detections.length ? g.detections.map((d) => (d.ms !== null ? formatDuration(d.ms) : d.unknown ? 'unknown (errors)' : 'missed')).join(', ') : '-',
  ]);
  lines.push(textTable(['GATE', 'STAGE', 'ON FAIL', 'EVALS', 'NO DATA', 'ERRORS', 'PENDING', 'FAILING', 'ROLLBACKS', 'BLOCKED', 'LONGEST BREACH', 'FALSE (good)', 'DETECT (bad)'], rows));
  for (const g of r.gates) if (g.errors) lines.push(`  ${g.gateId}: ${g.errors} of ${g.evaluations} evaluations could not be made (${g.firstError}): its counts are incomplete`);
  for (const g of r.gates) if (testedNothing(g)) lines.push(`  ${g.gateId}: no data at any of its ${g.evaluations} evaluations: its query matched nothing in this window, so nothing was tested`);
  for (const s of r.skipped) lines.push(`  ${s.gateId}: ${s.why}`);
  if (r.suggestions) lines.push('', suggestionDiff(r.suggestions, planFile));
  return lines.join('\n');
}
