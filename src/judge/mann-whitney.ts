/**
 * The Mann-Whitney U test (Wilcoxon rank-sum) with the Hodges–Lehmann
 * estimate of the shift and its confidence interval, as R's
 * `wilcox.test(x, y, conf.int = TRUE, exact = FALSE)` computes the test,
 * which is what Kayenta's judge ports: normal approximation with tie and
 * continuity correction. The estimate is the median of the pairwise
 * differences, its interval Lehmann's order statistics of them (for very
 * large samples, R's root-finding on the standardized statistic). The ranks, the normal CDF and its inverse come
 * from jstat; no maintained JavaScript library ships the U test itself.
 */
import jStat from 'jstat';

export interface MannWhitneyResult {
  /** U of the experiment (x): pairs (xi, yj) with xi > yj, ties counting one half. R's W. */
  u: number;
  /** The standardized statistic after tie and continuity correction. */
  z: number;
  /** Two-sided p-value. */
  pValue: number;
  /** Hodges–Lehmann estimate of location shift x − y (the median of the pairwise differences). */
  estimate: number;
  /** Confidence interval of the shift at `confidence`. */
  lower: number;
  upper: number;
  confidence: number;
}

/** Standardized rank-sum of (x − d) against y, minus zq (R's wdiff). */
function standardized(x: number[], y: number[], d: number, correct: boolean): number {
  const nx = x.length;
  const ny = y.length;
  const ranks = jStat.rank([...x.map((v) => v - d), ...y]);
  let rx = 0;
  for (let i = 0; i < nx; i++) rx += ranks[i]!;
  const dz = rx - (nx * (nx + 1)) / 2 - (nx * ny) / 2;
  const sigma = Math.sqrt(((nx * ny) / 12) * (nx + ny + 1 - tieTerm(ranks) / ((nx + ny) * (nx + ny - 1))));
  if (sigma === 0) return 0;
  const corr = correct ? Math.sign(dz) * 0.5 : 0;
  return (dz - corr) / sigma;
}

/** Σ (t³ − t) over groups of tied ranks. */
function tieTerm(ranks: number[]): number {
  const counts = new Map<number, number>();
  for (const r of ranks) counts.set(r, (counts.get(r) ?? 0) + 1);
  let s = 0;
  for (const t of counts.values()) s += t * t * t - t;
  return s;
}

/** R's uniroot: Brent's method would do; bisection to R's tolerance (1e-4 of the range) is enough here. */
function root(f: (d: number) => number, lo: number, hi: number): number {
  let flo = f(lo);
  if (flo <= 0) return lo;
  if (f(hi) >= 0) return hi;
  const tol = Math.max(1e-12, Math.abs(hi - lo) * 1e-7);
  for (let i = 0; i < 200 && hi - lo > tol; i++) {
    const mid = (lo + hi) / 2;
    const fm = f(mid);
    if (fm > 0) {
      lo = mid;
      flo = fm;
    } else hi = mid;
  }
  return (lo + hi) / 2;
}

export function mannWhitney(x: number[], y: number[], confidence = 0.95, correct = true): MannWhitneyResult {
  if (x.length === 0 || y.length === 0) throw new Error('the Mann-Whitney test needs samples in both groups');
  const nx = x.length;
  const ny = y.length;
  const ranks = jStat.rank([...x, ...y]);
  let rx = 0;
  for (let i = 0; i < nx; i++) rx += ranks[i]!;
  const u = rx - (nx * (nx + 1)) / 2;
  const sigma = Math.sqrt(((nx * ny) / 12) * (nx + ny + 1 - tieTerm(ranks) / ((nx + ny) * (nx + ny - 1))));
  const dz = u - (nx * ny) / 2;
  const z = sigma === 0 ? 0 : (dz - (correct ? Math.sign(dz) * 0.5 : 0)) / sigma;
  const pValue = Math.min(1, 2 * Math.min(jStat.normal.cdf(z, 0, 1), 1 - jStat.normal.cdf(z, 0, 1)));
  const zq = jStat.normal.inv(1 - (1 - confidence) / 2, 0, 1);
  if (nx * ny <= MAX_PAIRS) {
    // Lehmann's interval: order statistics of the nx·ny differences, C = nx·ny/2 − z·σ from each end.
    const diffs = pairwiseDifferences(x, y);
    const k = Math.max(1, Math.floor((nx * ny) / 2 - zq * sigma));
    return { u, z, pValue, estimate: medianSorted(diffs), lower: diffs[k - 1]!, upper: diffs[nx * ny - k]!, confidence };
  }
  // Too many pairs to sort: R's way, the shifts d at which the standardized statistic crosses ±z(α/2) and 0.
  const muMin = Math.min(...x) - Math.max(...y);
  const muMax = Math.max(...x) - Math.min(...y);
  const lower = root((d) => standardized(x, y, d, correct) - zq, muMin, muMax);
  const upper = root((d) => standardized(x, y, d, correct) + zq, muMin, muMax);
  const estimate = root((d) => standardized(x, y, d, correct), muMin, muMax);
  return { u, z, pValue, estimate, lower, upper, confidence };
}

/** Above this many pairs the interval is found by root-finding instead of sorting the differences. */
const MAX_PAIRS = 250_000;

function pairwiseDifferences(x: number[], y: number[]): Float64Array {
  const diffs = new Float64Array(x.length * y.length);
  let i = 0;
  for (const a of x) for (const b of y) diffs[i++] = a - b;
  return diffs.sort();
}

function medianSorted(v: Float64Array): number {
  const n = v.length;
  return n % 2 ? v[(n - 1) / 2]! : (v[n / 2 - 1]! + v[n / 2]!) / 2;
}

/** The Hodges–Lehmann estimate: the median of every difference xi − yj. */
export function hodgesLehmann(x: number[], y: number[]): number {
  return medianSorted(pairwiseDifferences(x, y));
}

/** Tukey's fences: drops values outside [Q1 − k·IQR, Q3 + k·IQR] (Kayenta's IQR detector, k = 1.5). */
export function removeOutliers(values: number[], k = 1.5): { kept: number[]; removed: number } {
  if (values.length < 4) return { kept: values, removed: 0 };
  const [q1, q3] = jStat.quantiles(values, [0.25, 0.75]) as [number, number];
  const iqr = q3 - q1;
  const lo = q1 - k * iqr;
  const hi = q3 + k * iqr;
  const kept = values.filter((v) => v >= lo && v <= hi);
  return { kept, removed: values.length - kept.length };
}

export function mean(values: number[]): number {
  return jStat.mean(values);
}

export function quantiles(values: number[], probs: number[]): number[] {
  return jStat.quantiles(values, probs);
}
