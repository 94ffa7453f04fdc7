/**
 * Latency distributions for the simulated histograms: a log-normal, shifted
 * by any added latency, described by one quantile. Bucket counts are the
 * expected share of observations at or under each bound, so histograms grow
 * in bulk without observing samples one by one.
 */

export interface Distribution {
  /** Share of observations <= x (seconds). */
  cdf(x: number): number;
  /** Mean observation (seconds). */
  mean: number;
}

const Z: Record<number, number> = { 0.5: 0, 0.9: 1.2816, 0.95: 1.6449, 0.99: 2.3263 };

/**
 * A log-normal whose quantile `q` (0.5, 0.9, 0.95 or 0.99) is `atSeconds`,
 * shifted right by `shiftSeconds`.
 */
export function logNormal(q: 0.5 | 0.9 | 0.95 | 0.99, atSeconds: number, sigma: number, shiftSeconds = 0): Distribution {
  const at = Math.max(atSeconds, 1e-6);
  const mu = Math.log(at) - sigma * Z[q]!;
  return {
    cdf: (x) => {
      const y = x - shiftSeconds;
      return y <= 0 ? 0 : normalCdf((Math.log(y) - mu) / sigma);
    },
    mean: shiftSeconds + Math.exp(mu + (sigma * sigma) / 2),
  };
}

function normalCdf(z: number): number {
  return 0.5 * (1 + erf(z / Math.SQRT2));
}

/** Abramowitz & Stegun 7.1.26 (error under 1.5e-7). */
function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign * (1 - poly * Math.exp(-x * x));
}

/** Running histogram state: cumulative counts per bound, total count and sum. */
export interface HistogramState {
  readonly bounds: readonly number[];
  cumulative: number[];
  count: number;
  sum: number;
}

export function emptyHistogram(bounds: readonly number[]): HistogramState {
  return { bounds, cumulative: bounds.map(() => 0), count: 0, sum: 0 };
}

/** Adds `n` observations drawn (in expectation) from `dist`. */
export function addObservations(h: HistogramState, n: number, dist: Distribution): void {
  if (!(n > 0)) return;
  for (let i = 0; i < h.bounds.length; i++) h.cumulative[i]! += n * dist.cdf(h.bounds[i]!);
  h.count += n;
  h.sum += n * dist.mean;
}
