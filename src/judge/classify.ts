/**
 * Kayenta's metric classifier (kayenta-judge, MannWhitneyClassifier), over
 * two cohorts' samples: NaN dropped, outliers removed (IQR), then
 * - no samples in a cohort → `no data`;
 * - the same samples, or a single value across both → `pass`;
 * - else a Mann-Whitney U test with the Hodges–Lehmann interval: `high` when
 *   the interval lies above +tolerance·|estimate| and the effect
 *   (mean canary / mean baseline) exceeds the allowed effect, `low` the
 *   mirror image, each only in the bad direction; otherwise `pass`.
 */
import jStat from 'jstat';
import { mannWhitney, mean, quantiles, removeOutliers } from './mann-whitney.js';
import type { Classification, CohortSummary, CompareDetail, Direction } from './types.js';

export interface ClassifyOptions {
  direction: Direction;
  /** 1.10: a 10 % change in the bad direction is tolerated. */
  allowedEffect: number;
  critical?: boolean;
  weight?: number;
  confidence?: number;
  /** Kayenta's tolerance: the interval must clear this fraction of |estimate| (default 0.25). */
  tolerance?: number;
  windowMs: number;
  stepMs: number;
  canarySelector: string;
  baselineSelector: string;
  /** Formats a value for the reason (units). */
  format?: (v: number) => string;
}

export interface CohortSamples {
  values: number[];
  series: number;
}

const BINS = 12;

export function classify(canary: CohortSamples, baseline: CohortSamples, o: ClassifyOptions): CompareDetail {
  const fmt = o.format ?? ((v: number) => String(Number(v.toPrecision(4))));
  const confidence = o.confidence ?? 0.95;
  const tolerance = o.tolerance ?? 0.25;
  const [c, b] = clean(canary.values, baseline.values);
  const bins = binEdges([...c.kept, ...b.kept]);
  const base = {
    direction: o.direction,
    allowedEffect: o.allowedEffect,
    critical: o.critical ?? false,
    weight: o.weight ?? 1,
    confidence,
    windowMs: o.windowMs,
    stepMs: o.stepMs,
    bins,
    canary: summary('canary', o.canarySelector, c, canary.series, bins),
    baseline: summary('baseline', o.baselineSelector, b, baseline.series, bins),
  };
  const verdict = (classification: Classification, reason: string, extra: Partial<CompareDetail> = {}): CompareDetail => ({ ...base, ...extra, classification, reason });

  if (c.kept.length === 0 || b.kept.length === 0) {
    const which = [c.kept.length === 0 ? 'canary' : '', b.kept.length === 0 ? 'baseline' : ''].filter(Boolean).join(' and ');
    return verdict('no data', `no samples from the ${which} in the window`);
  }
  const sortedC = [...c.kept].sort((x, y) => x - y);
  const sortedB = [...b.kept].sort((x, y) => x - y);
  if (sortedC.length === sortedB.length && sortedC.every((v, i) => v === sortedB[i])) {
    return verdict('pass', 'canary and baseline samples are identical', { ratio: 1 });
  }
  if (new Set([...sortedC, ...sortedB]).size === 1) return verdict('pass', `every sample is ${fmt(sortedC[0]!)}`, { ratio: 1 });

  const mw = mannWhitney(c.kept, b.kept, confidence);
  if (!mw.achieved) {
    return verdict('no data', `too few samples for a ${Math.round(confidence * 100)}% interval (canary ${c.kept.length}, baseline ${b.kept.length}): a longer window or a smaller step`);
  }
  const mb = mean(b.kept);
  const mc = mean(c.kept);
  const ratio = mb === 0 ? (mc === 0 ? 1 : mc > 0 ? Infinity : -Infinity) : mc / mb;
  const bound = tolerance * Math.abs(mw.estimate);
  const allowedIncrease = o.allowedEffect;
  const allowedDecrease = 2 - o.allowedEffect;
  const stats = { u: mw.u, z: mw.z, pValue: mw.pValue, estimate: mw.estimate, lower: mw.lower, upper: mw.upper, ratio };
  const pct = (r: number) => (Number.isFinite(r) ? `${r >= 1 ? '+' : ''}${((r - 1) * 100).toFixed(1)}%` : String(r));
  const p = mw.pValue < 0.001 ? 'p < 0.001' : `p = ${mw.pValue.toFixed(3)}`;
  const why = `canary ${pct(ratio)} (HL ${mw.estimate >= 0 ? '+' : ''}${fmt(mw.estimate)}, ${Math.round(confidence * 100)}% CI [${fmt(mw.lower)}, ${fmt(mw.upper)}]), ${p}`;
  const up = o.direction === 'increase' || o.direction === 'either';
  const down = o.direction === 'decrease' || o.direction === 'either';
  const higher = mw.lower > bound;
  const lower = mw.upper < -bound;
  if (up && higher && ratio > allowedIncrease) return verdict('high', `${why}: high (allowed ${pct(allowedIncrease)})`, stats);
  if (down && lower && ratio < allowedDecrease) return verdict('low', `${why}: low (allowed ${pct(allowedDecrease)})`, stats);
  const because =
    (up && higher) || (down && lower)
      ? `a real difference within the allowed ${up && higher ? pct(allowedIncrease) : pct(allowedDecrease)}`
      : higher || lower
        ? `a difference in the direction that is not bad (${o.direction})`
        : 'no significant difference';
  return verdict('pass', `${why}: pass, ${because}`, stats);
}

interface Cleaned {
  kept: number[];
  nan: number;
  infinite: number;
  outliers: number;
}

/**
 * NaN dropped; ±Inf put one span (the range or the largest magnitude, whichever is larger) beyond
 * the finite samples of both cohorts, so they rank above or below all of them and every difference
 * stays finite; then each cohort's outliers removed.
 */
function clean(...cohorts: [number[], number[]]): [Cleaned, Cleaned] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const vs of cohorts) {
    for (const v of vs) {
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (lo > hi) lo = hi = 0;
  // At least the largest magnitude: +Inf is then no less than twice the largest positive sample.
  const span = Math.max(hi - lo, Math.abs(hi), Math.abs(lo)) || 1;
  const one = (values: number[]): Cleaned => {
    const numbers = values.filter((v) => !Number.isNaN(v));
    const infinite = numbers.filter((v) => !Number.isFinite(v)).length;
    const { kept, removed } = removeOutliers(infinite ? numbers.map((v) => (v === Infinity ? hi + span : v === -Infinity ? lo - span : v)) : numbers);
    return { kept, nan: values.length - numbers.length, infinite, outliers: removed };
  };
  return [one(cohorts[0]), one(cohorts[1])];
}

function binEdges(all: number[]): number[] {
  if (all.length === 0) return [];
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of all) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === hi) return [lo, hi];
  return Array.from({ length: BINS + 1 }, (_, i) => lo + ((hi - lo) * i) / BINS);
}

function summary(label: string, selector: string, c: Cleaned, series: number, bins: number[]): CohortSummary {
  const n = c.kept.length;
  const histogram = bins.length > 1 ? new Array<number>(bins.length - 1).fill(0) : [];
  if (histogram.length) {
    const lo = bins[0]!;
    const width = (bins[bins.length - 1]! - lo) / histogram.length;
    for (const v of c.kept) histogram[Math.min(histogram.length - 1, width > 0 ? Math.floor((v - lo) / width) : 0)]!++;
  }
  const out: CohortSummary = { label, selector, n, nan: c.nan, infinite: c.infinite, outliers: c.outliers, series, histogram };
  if (n === 0) return out;
  const [q1, median, q3] = quantiles(c.kept, [0.25, 0.5, 0.75]) as [number, number, number];
  // jStat.min/max loop; Math.min(...kept) overflows the stack past ~150,000 samples.
  return { ...out, min: jStat.min(c.kept), q1, median, q3, max: jStat.max(c.kept), mean: mean(c.kept) };
}
