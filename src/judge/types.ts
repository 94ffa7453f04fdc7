/** What the canary-versus-baseline judge says about one metric, for the gate's detail view. */

export type Classification = 'high' | 'low' | 'pass' | 'no data';
export type Direction = 'increase' | 'decrease' | 'either';

/** One cohort's samples after NaN and outlier removal, as a box plot and a histogram on shared bins. */
export interface CohortSummary {
  label: string;
  /** The selector the query template was given. */
  selector: string;
  /** Samples kept (after NaN and outliers). */
  n: number;
  nan: number;
  /** ±Inf samples, taken as one span beyond the finite samples of both cohorts (src/judge/classify.ts). */
  infinite: number;
  outliers: number;
  series: number;
  min?: number;
  q1?: number;
  median?: number;
  q3?: number;
  max?: number;
  mean?: number;
  /** Counts per bin of `CompareDetail.bins` (same bins for both cohorts). */
  histogram: number[];
}

export interface CompareDetail {
  classification: Classification;
  /** Why, in one line: "canary +21% (HL +0.2s, 95% CI [0.18, 0.23]), p < 0.001: high". */
  reason: string;
  direction: Direction;
  allowedEffect: number;
  critical: boolean;
  weight: number;
  canary: CohortSummary;
  baseline: CohortSummary;
  /** Bin edges (length = histogram length + 1). */
  bins: number[];
  u?: number;
  z?: number;
  pValue?: number;
  /** Hodges–Lehmann shift canary − baseline, and its interval. */
  estimate?: number;
  lower?: number;
  upper?: number;
  confidence: number;
  /** mean(canary) / mean(baseline): the effect size compared with allowedEffect. */
  ratio?: number;
  windowMs: number;
  stepMs: number;
}

/** What a stage's score gate says, for its detail view. */
export interface ScoreDetail {
  score: number;
  pass: number;
  marginal: number;
  verdict: 'pass' | 'marginal' | 'fail';
  metrics: Array<{ gateId: string; classification: Classification; weight: number; critical: boolean }>;
  reason: string;
}
