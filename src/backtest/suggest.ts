/**
 * --suggest: from healthy history, the threshold (or the `for:`) under which
 * a gate would have failed no more than the budget allows in the windows
 * marked good, replayed through the same state machine. Printed as a plan
 * diff, never applied.
 */
import { formatDuration } from '../duration.js';
import type { GateSpec, Plan } from '../plan/schema.js';
import { parseThreshold } from '../plan/threshold.js';
import { replayGate, type GateOutcome, type GateTarget, type GateTrace, type Window } from './replay.js';

export interface Suggestion {
  gateId: string;
  stageId: string | null;
  /** The plan path of the gate, e.g. stages[1].gates[3]. */
  path: string;
  current: { fail: string; for?: string };
  threshold?: { fail: string; falseFailures: number; detections: GateOutcome['detections'] };
  for?: { for: string; falseFailures: number; detections: GateOutcome['detections'] };
  why?: string;
}

export function suggest(target: GateTarget, trace: GateTrace, plan: Plan, path: string, o: { good: Window[]; bad: Window[]; budget: number }): Suggestion {
  const spec = target.spec;
  const now = replayGate(target, trace, plan, o);
  const base: Suggestion = {
    gateId: spec.id,
    stageId: target.stageId,
    path,
    current: { fail: (spec.fail ?? []).map((t) => t.text).join(' or '), for: spec.for !== undefined ? formatDuration(spec.for) : undefined },
  };
  if (now.falseFailures <= o.budget) return { ...base, why: `${now.falseFailures} false failure(s) in the good windows: within the budget of ${o.budget}` };
  const fails = spec.fail ?? [];
  const t = fails[0];
  if (fails.length !== 1 || !t || t.relative || typeof t.value !== 'number' || t.op === '==' || t.op === '!=') {
    return { ...base, why: 'only a single absolute >, >=, < or <= threshold is calibrated' };
  }
  const up = t.op === '>' || t.op === '>=';
  const healthy = trace
    .filter(([at]) => o.good.some((w) => at >= w.start && at <= w.end))
    .map(([, r]) => (r.status === 'value' && typeof r.value === 'number' ? r.value : NaN))
    .filter((v) => Number.isFinite(v) && (up ? v >= (t.value as number) : v <= (t.value as number)));
  const candidates = [...new Set(healthy)].sort((a, b) => (up ? a - b : b - a));
  const withSpec = (patch: Partial<GateSpec>) => replayGate({ ...target, spec: { ...spec, ...patch } }, trace, plan, o);
  const out: Suggestion = { ...base };
  for (const c of candidates) {
    const text = `${up ? '>' : '<'} ${nice(c, up)}`;
    const r = withSpec({ fail: [parseThreshold(text)!] });
    if (r.falseFailures <= o.budget) {
      out.threshold = { fail: text, falseFailures: r.falseFailures, detections: r.detections };
      break;
    }
  }
  const step = stepOf(trace);
  for (let f = Math.max(step, spec.for ?? 0) + step; f <= 4 * 3_600_000; f += step) {
    const r = withSpec({ for: f, forProbes: undefined });
    if (r.falseFailures <= o.budget) {
      out.for = { for: formatDuration(f), falseFailures: r.falseFailures, detections: r.detections };
      break;
    }
  }
  if (!out.threshold && !out.for) out.why = 'no threshold or for: up to 4h meets the budget';
  return out;
}

/** The threshold written in the plan: the healthy value rounded away from it to 2 significant digits. */
function nice(v: number, up: boolean): number {
  if (v === 0) return 0;
  const mag = 10 ** (Math.floor(Math.log10(Math.abs(v))) - 1);
  return (up ? Math.ceil(v / mag) : Math.floor(v / mag)) * mag === v ? v : Number(((up ? Math.ceil(v / mag) : Math.floor(v / mag)) * mag).toPrecision(2));
}

function stepOf(trace: GateTrace): number {
  let min = Infinity;
  for (let i = 1; i < trace.length; i++) min = Math.min(min, trace[i]![0] - trace[i - 1]![0]);
  return Number.isFinite(min) && min > 0 ? min : 30_000;
}

/** The suggestions as a plan diff (unified-diff style, per gate). */
export function suggestionDiff(list: Suggestion[], planFile: string): string {
  const out: string[] = [`--- ${planFile}`, `+++ ${planFile} (suggested; not applied)`];
  for (const s of list) {
    out.push(`@@ ${s.path} ${s.gateId}${s.stageId ? ` (stage ${s.stageId})` : ' (plan-wide)'} @@`);
    if (s.why && !s.threshold && !s.for) {
      out.push(`  # ${s.why}`);
      continue;
    }
    const det = (d: GateOutcome['detections']) => (d.length ? `; bad windows detected in ${d.map((x) => (x.ms !== null ? formatDuration(x.ms) : x.unknown ? 'UNKNOWN (errors)' : 'MISSED')).join(', ')}` : '');
    if (s.threshold) {
      out.push(`-  fail: "${s.current.fail}"`, `+  fail: "${s.threshold.fail}"    # ${s.threshold.falseFailures} false failure(s) in the good windows${det(s.threshold.detections)}`);
    }
    if (s.for) {
      if (s.threshold) out.push('   # or keep the threshold and hold the breach longer:');
      out.push(s.current.for ? `-  for: ${s.current.for}` : '-  (no for:)', `+  for: ${s.for.for}    # ${s.for.falseFailures} false failure(s) in the good windows${det(s.for.detections)}`);
    }
  }
  return out.join('\n');
}
