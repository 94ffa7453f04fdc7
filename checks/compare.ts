/**
 * compare: a query template evaluated for a canary and a baseline cohort
 * over the gate's window (one range query each), judged by src/judge/ as
 * Kayenta does: `high`, `low`, `pass` or `no data`. The value is the
 * classification; the default fail is "!= 'pass'".
 */
import * as z from 'zod';
import type { GateSpec } from '../src/plan/schema.js';
import { duration } from '../src/plan/schema-parts.js';
import { formatWithUnit } from '../src/plan/units.js';
import { describePromError } from './query.js';
import { promqlProblems } from '../src/plan/promql.js';
import type { Check, GateKindModule, PlanProblem } from './types.js';

/** Prometheus answers a range query with at most this many points per series. */
export const MAX_RANGE_POINTS = 11_000;
/** A query template evaluated for two cohorts; `$cohort` stands for each cohort's label matchers. */
export const compareSpec = z
  .object({
    query: z.string().min(1).refine((q) => q.includes('$cohort'), 'expected a query with $cohort where the cohort\'s label matchers go, such as rate(x{$cohort}[1m])'),
    canary: z.string().min(1),
    baseline: z.string().min(1),
    direction: z.enum(['increase', 'decrease', 'either']).default('increase'),
    /** 1.10: a 10 % change in the bad direction is tolerated. */
    allowedEffect: z.number().min(1).default(1),
    critical: z.boolean().default(false),
    weight: z.number().positive().default(1),
    window: duration.default(600_000),
    step: duration.optional(),
    confidence: z.number().gt(0.5).lt(1).default(0.95),
  })
  .strict()
  .refine((c) => c.step === undefined || c.window / c.step <= MAX_RANGE_POINTS, {
    path: ['step'],
    message: `expected at most ${MAX_RANGE_POINTS.toLocaleString('en')} points per series in the window (Prometheus refuses more): a larger step, or a shorter window`,
  });
/** The compare kind's part of a gate's schema. */
export const compareFields = { compare: compareSpec.optional() };
/** Puts a cohort's matchers where the template says `$cohort` ("{version="v2"}" or "version="v2""). */
export function cohortQuery(template: string, selector: string): string {
  const matchers = selector.trim().replace(/^\{([\s\S]*)\}$/, '$1').trim();
  return template.replace(/\$cohort\b/g, matchers);
}

/** The range step: the gate's, or a 60th of the window, at least 1 s. */
export function compareStep(spec: NonNullable<GateSpec['compare']>): number {
  return spec.step ?? Math.max(1_000, Math.round(spec.window / 60 / 1_000) * 1_000);
}

export const compareCheck: Check = async (gate, ctx) => {
  const spec = gate.compare!;
  const prom = ctx.prometheus;
  if (!prom) return { status: 'error', reason: 'no Prometheus configured in the plan' };
  const end = ctx.clock.now();
  const start = end - spec.window;
  const stepMs = compareStep(spec);
  const cohorts = { canary: spec.canary, baseline: spec.baseline } as const;
  const samples: Record<'canary' | 'baseline', { values: number[]; series: number }> = { canary: { values: [], series: 0 }, baseline: { values: [], series: 0 } };
  try {
    await Promise.all(
      (['canary', 'baseline'] as const).map(async (which) => {
        const series = await prom.queryRange(cohortQuery(spec.query, cohorts[which]), { start, end, stepMs, signal: ctx.signal });
        samples[which] = { values: series.flatMap((s) => s.values.map((v) => v.value)), series: series.length };
      }),
    );
  } catch (err) {
    return { status: 'error', reason: describePromError(err) };
  }
  // The statistics (jstat) load here, at the first compare, not on every start-up.
  const { classify } = await import('../src/judge/classify.js');
  const detail = classify(samples.canary, samples.baseline, {
    direction: spec.direction,
    allowedEffect: spec.allowedEffect,
    critical: spec.critical,
    weight: spec.weight,
    confidence: spec.confidence,
    windowMs: spec.window,
    stepMs,
    canarySelector: spec.canary,
    baselineSelector: spec.baseline,
    format: gate.unit ? (v) => formatWithUnit(v, gate.unit) : undefined,
  });
  const judge = { kind: 'compare' as const, detail };
  if (detail.classification === 'no data') return { status: 'no data', reason: detail.reason, judge };
  return { status: 'value', value: detail.classification, note: detail.reason, judge };
};

export const compareKind: GateKindModule = {
  kind: 'compare',
  judged: true,
  source: 'prometheus',
  check: compareCheck,
  describe: (g) => `${g.compare!.query} · canary {${g.compare!.canary}} vs baseline {${g.compare!.baseline}}`,
  defaultFail: () => "!= 'pass'",
  notAsked: (promDown) => `series lookup not sent: Prometheus is down (${promDown})`,
  validate: ({ gate, path }) => {
    const cmp = obj(gate.compare);
    const template = str(cmp?.query);
    const out: PlanProblem[] = [];
    for (const cohort of ['canary', 'baseline'] as const) {
      const selector = str(cmp?.[cohort]);
      if (!template || !selector) continue;
      // The template is PromQL once a cohort's matchers stand for $cohort: check it as each cohort's query.
      for (const p of promqlProblems(cohortQuery(template, selector))) out.push({ path: [...path, 'compare', cohort], message: `the query for this cohort: ${p.message}` });
    }
    return out;
  },
};

function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
