/** The query kind: a PromQL instant query reduced to one number (max by default). */
import * as z from 'zod';
import { promqlProblems } from '../src/plan/promql.js';
import type { GateSpec } from '../src/plan/schema.js';
import { describePromError, type PromClient, type PromSample } from '../src/sources/types.js';
import type { Check, CheckContext, GateKindModule, GateMemo } from './types.js';
import { reduceValues } from './value.js';

/** The query kind's part of a gate's schema. */
export const queryFields = { query: z.string().min(1).optional() };

export const promqlCheck: Check = async (gate, ctx, memo) => {
  const prom = ctx.prometheus;
  if (!prom) return { status: 'error', reason: 'no Prometheus configured in the plan' };
  let samples: PromSample[];
  let warnings: string[];
  try {
    const res = await prom.query(gate.query!, { signal: ctx.signal });
    if (res.resultType === 'string') return { status: 'error', reason: `query returned a string${res.samples[0] ? ` (${res.samples[0].value})` : ''}, expected a number: use an expression that yields a vector or scalar` };
    if (res.resultType === 'matrix') {
      return { status: 'error', reason: `query returned a matrix (a range vector such as x[5m]), expected an instant vector: wrap it in rate(), max_over_time() or similar` };
    }
    samples = res.samples;
    warnings = res.warnings;
  } catch (err) {
    return { status: 'error', reason: describePromError(err) };
  }
  if (samples.length === 0) return { status: 'no data', reason: `query returned no series${warnings.length ? ` (Prometheus warning: ${warnings.join('; ')})` : ''}` };
  // Values without a number: parts carry null, never NaN or ±Inf (JSON would print them as null, unexplained).
  const parts = samples.map((s) => ({ name: seriesName(s.labels), value: Number.isFinite(s.value) ? s.value : null, note: Number.isFinite(s.value) ? undefined : promNumber(s.value) }));
  const infinite = samples.filter((s) => s.value === Infinity || s.value === -Infinity);
  if (infinite.length) {
    const which = infinite.slice(0, 3).map((s) => `${promNumber(s.value)} in ${seriesName(s.labels)}`).join(', ');
    return { status: 'error', reason: `value is ${which}${infinite.length > 3 ? ` and ${infinite.length - 3} more` : ''} (a division by zero?): not a number a threshold can judge`, parts };
  }
  const numbers = samples.map((s) => s.value).filter((v) => !Number.isNaN(v));
  if (numbers.length === 0) {
    return { status: 'no data', reason: `value is NaN in all ${samples.length} series (0/0: no traffic?)`, parts };
  }
  const value = reduceValues(numbers, gate.reduce ?? 'max') as number;
  const baseline = await promBaseline(gate, ctx, memo, prom);
  const notes: string[] = [];
  if (samples.length > 1) notes.push(`${gate.reduce ?? 'max'} of ${samples.length} series`);
  if (numbers.length < samples.length) notes.push(`${samples.length - numbers.length} NaN series ignored`);
  if (typeof baseline === 'string') notes.push(baseline);
  return {
    status: 'value',
    value,
    parts: samples.length > 1 ? parts : undefined,
    baseline: typeof baseline === 'number' ? baseline : undefined,
    note: notes.join('; ') || undefined,
    warnings: warnings.length ? warnings : undefined,
  };
};

/** `query:` a PromQL expression; its history is a range of the same query (backfill, first-value baselines). */
export const queryKind: GateKindModule = {
  kind: 'query',
  source: 'prometheus',
  check: promqlCheck,
  describe: (g) => g.query!,
  notAsked: (promDown) => `query not sent: Prometheus is down (${promDown})`,
  history: (g) => g.query,
  readsNumber: true,
  onlineAsks: (g) => [{ query: g.query!, field: ['query'] }],
  baselines: { query: 'baseline.query needs a query gate', offset: 'baseline.offset needs a query gate' },
  // Parsed with Prometheus's own grammar; the index points into the query.
  validate: ({ gate, path }) => (typeof gate.query === 'string' && gate.query !== '' ? promqlProblems(gate.query).map((p) => ({ path: [...path, 'query'], index: p.offset, message: p.message })) : []),
};

/** A number, or a string saying why the baseline could not be had (the gate then has none). */
async function promBaseline(gate: GateSpec, ctx: CheckContext, memo: GateMemo, prom: PromClient): Promise<number | string | undefined> {
  const spec = gate.baseline;
  if (!spec) return undefined;
  if (spec.value !== undefined) return spec.value;
  if (spec.offset !== undefined && memo.baseline !== undefined) return memo.baseline;
  const expr = spec.query ?? gate.query!;
  const time = spec.query ? undefined : ctx.windowStart - (spec.offset ?? 0);
  try {
    const res = await prom.query(expr, { time, signal: ctx.signal });
    const nums = res.samples.map((s) => s.value).filter((v) => Number.isFinite(v));
    if (nums.length === 0) return 'baseline query returned no data';
    return reduceValues(nums, gate.reduce ?? 'max') as number;
  } catch (err) {
    return `baseline: ${describePromError(err)}`;
  }
}

function promNumber(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
}

export { describePromError };

export function seriesName(labels: Record<string, string>): string {
  const entries = Object.entries(labels).filter(([k]) => k !== '__name__');
  const name = labels.__name__ ?? '';
  if (entries.length === 0) return name || '{}';
  return `${name}{${entries.map(([k, v]) => `${k}="${v}"`).join(',')}}`;
}
