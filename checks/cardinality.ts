/**
 * Label cardinality (seed 001): the distinct values of a label on a metric
 * must stay inside a set. The value is how many values fall outside it.
 */
import * as z from 'zod';
import { describePromError } from './query.js';
import type { Check, GateKindModule, PlanProblem } from './types.js';

/** The cardinality kind's part of a gate's schema. */
export const cardinalityFields = {
  cardinality: z
    .object({ metric: z.string().min(1), label: z.string().min(1), allowed: z.array(z.string()).min(1) })
    .strict()
    .optional(),
};

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

const LOOKBACK_MS = 5 * 60_000;

export const cardinalityCheck: Check = async (gate, ctx) => {
  if (!ctx.prometheus) return { status: 'error', reason: 'no Prometheus configured in the plan' };
  const { metric, label, allowed } = gate.cardinality!;
  const now = ctx.clock.now();
  let series: Array<Record<string, string>>;
  try {
    series = await ctx.prometheus.series([metric], { start: now - LOOKBACK_MS, end: now, signal: ctx.signal });
  } catch (err) {
    return { status: 'error', reason: describePromError(err) };
  }
  if (series.length === 0) return { status: 'no data', reason: `no series for ${metric}` };
  const seen = new Set(series.map((s) => s[label]).filter((v): v is string => v !== undefined));
  if (seen.size === 0) return { status: 'no data', reason: `no ${label} label on ${metric}` };
  const outside = [...seen].filter((v) => !allowed.includes(v)).sort();
  return {
    status: 'value',
    value: outside.length,
    parts: [...seen].sort().map((v) => ({ name: `${label}="${v}"`, value: allowed.includes(v) ? 'allowed' : 'unexpected' })),
    note: outside.length ? `unexpected ${label}: ${outside.join(', ')}` : `${seen.size} ${label} values, all allowed`,
  };
};

export const cardinalityKind: GateKindModule = {
  kind: 'cardinality',
  source: 'prometheus',
  check: cardinalityCheck,
  describe: (g) => `${g.cardinality!.metric} ${g.cardinality!.label} ∈ {${g.cardinality!.allowed.join(', ')}}`,
  defaultFail: () => '> 0',
  notAsked: (promDown) => `series lookup not sent: Prometheus is down (${promDown})`,
  onlineAsks: (g) => [{ selector: g.cardinality!.metric, field: ['cardinality', 'metric'] }],
  validate: ({ gate, path }) => {
    const c = obj(gate.cardinality);
    const out: PlanProblem[] = [];
    const metric = typeof c?.metric === 'string' ? c.metric : undefined;
    const label = typeof c?.label === 'string' ? c.label : undefined;
    if (metric && !METRIC_NAME.test(metric)) out.push({ path: [...path, 'cardinality', 'metric'], message: `expected a metric name (letters, digits, "_" and ":"), got ${JSON.stringify(metric)}` });
    if (label && !LABEL_NAME.test(label)) out.push({ path: [...path, 'cardinality', 'label'], message: `expected a label name (letters, digits and "_"), got ${JSON.stringify(label)}` });
    return out;
  },
};
