/**
 * The PromQL functions promlite supports, with their signatures (checked at
 * parse time) and Prometheus 2.42's semantics: extrapolated rate/increase
 * with counter resets, irate, the *_over_time family, histogram_quantile,
 * math and clamping, time(), vector(), scalar(), absent().
 */
import { TYPE_NAMES, type Expr, type MatrixSelector, type ValueType } from './ast.js';
import { METRIC_NAME, dropMetricName, withoutLabels, type Labels } from './labels.js';
import { bucketQuantile, type Bucket } from './quantile.js';
import type { Point } from './store.js';
import { scalar, vector, type MatrixSeries, type Value, type VectorSample } from './values.js';

export interface CallContext {
  /** Evaluation time, ms. */
  ts: number;
  args: Expr[];
}

export interface FunctionDef {
  args: ValueType[];
  /** How many trailing arguments may be left out. */
  optional?: number;
  returns: ValueType;
  impl(args: Value[], ctx: CallContext): Value;
}

// ------------------------------------------------------------ helpers

const vec = (v: Value): VectorSample[] => (v.type === 'vector' ? v.samples : []);
const mat = (v: Value): MatrixSeries[] => (v.type === 'matrix' ? v.series : []);
const num = (v: Value | undefined): number => (v?.type === 'scalar' ? v.v : NaN);

/** A function of each element's value; the metric name is dropped. */
function simple(fn: (v: number) => number): FunctionDef {
  return { args: ['vector'], returns: 'vector', impl: ([a]) => vector(vec(a!).map((s) => ({ labels: dropMetricName(s.labels), v: fn(s.v) }))) };
}

/** A function of each series' points in a range; empty ranges give nothing. */
function overTime(fn: (points: Point[]) => number, keepName = false): FunctionDef {
  return {
    args: ['matrix'],
    returns: 'vector',
    impl: ([m]) => {
      const out: VectorSample[] = [];
      for (const s of mat(m!)) if (s.points.length) out.push({ labels: keepName ? s.labels : dropMetricName(s.labels), v: fn(s.points) });
      return vector(out);
    },
  };
}

/** Range functions that need the selector's range and offset. */
function rangeFunc(fn: (points: Point[], rangeStart: number, rangeEnd: number, rangeMs: number) => number | undefined): FunctionDef {
  return {
    args: ['matrix'],
    returns: 'vector',
    impl: ([m], ctx) => {
      const sel = matrixArg(ctx.args[0]);
      const rangeEnd = ctx.ts - sel.selector.offsetMs;
      const rangeStart = rangeEnd - sel.rangeMs;
      const out: VectorSample[] = [];
      for (const s of mat(m!)) {
        const v = fn(s.points, rangeStart, rangeEnd, sel.rangeMs);
        if (v !== undefined) out.push({ labels: dropMetricName(s.labels), v });
      }
      return vector(out);
    },
  };
}

function matrixArg(e: Expr | undefined): MatrixSelector {
  let x = e;
  while (x?.kind === 'paren') x = x.expr;
  if (x?.kind !== 'matrixSelector') throw new Error('range function argument is not a range vector selector');
  return x;
}

/** Neumaier-compensated running sum, as Prometheus's kahanSumInc. */
function kahanInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  return [t, c];
}

/** Go's math.Pow differs from JS ** for a base of ±1 with an infinite or NaN exponent. */
export function goPow(x: number, y: number): number {
  if (x === 1) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return x ** y;
}

// ------------------------------------------------------------ rate family

/** Prometheus's extrapolatedRate: increase (or delta) across the range, extrapolated toward its edges. */
export function extrapolatedRate(points: Point[], rangeStart: number, rangeEnd: number, rangeMs: number, isCounter: boolean, isRate: boolean): number | undefined {
  if (points.length < 2) return undefined;
  const first = points[0]!;
  const last = points[points.length - 1]!;
  let result = last.v - first.v;
  if (isCounter) {
    let prev = 0;
    for (const p of points) {
      if (p.v < prev) result += prev; // a counter reset: the lost part is what it had reached
      prev = p.v;
    }
  }
  let durationToStart = (first.t - rangeStart) / 1000;
  const durationToEnd = (rangeEnd - last.t) / 1000;
  const sampledInterval = (last.t - first.t) / 1000;
  const averageBetween = sampledInterval / (points.length - 1);
  if (isCounter && result > 0 && first.v >= 0) {
    // A counter cannot go below zero: do not extrapolate past the point where it would.
    const durationToZero = sampledInterval * (first.v / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const threshold = averageBetween * 1.1;
  let extrapolateTo = sampledInterval;
  extrapolateTo += durationToStart < threshold ? durationToStart : averageBetween / 2;
  extrapolateTo += durationToEnd < threshold ? durationToEnd : averageBetween / 2;
  result *= extrapolateTo / sampledInterval;
  if (isRate) result /= rangeMs / 1000;
  return result;
}

/** irate/idelta: the last two samples only. */
export function instantValue(points: Point[], isRate: boolean): number | undefined {
  if (points.length < 2) return undefined;
  const last = points[points.length - 1]!;
  const prev = points[points.length - 2]!;
  let result = isRate && last.v < prev.v ? last.v : last.v - prev.v;
  const interval = last.t - prev.t;
  if (interval === 0) return undefined;
  if (isRate) result /= interval / 1000;
  return result;
}

// ------------------------------------------------------------ histogram_quantile

function histogramQuantile(args: Value[]): Value {
  const q = num(args[0]);
  const groups = new Map<string, { labels: Labels; buckets: Bucket[] }>();
  for (const s of vec(args[1]!)) {
    const le = s.labels.le;
    const upperBound = le === undefined ? undefined : parseGoFloat(le);
    if (upperBound === undefined) continue; // no or malformed le: skipped, as Prometheus does
    const labels = withoutLabels(s.labels, [METRIC_NAME, 'le']);
    const key = JSON.stringify(labels);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { labels, buckets: [] }));
    g.buckets.push({ upperBound, count: s.v });
  }
  return vector([...groups.values()].map((g) => ({ labels: g.labels, v: bucketQuantile(q, g.buckets) })));
}

/** strconv.ParseFloat as `le` values need it. */
function parseGoFloat(s: string): number | undefined {
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) return Number(s);
  const l = s.toLowerCase();
  if (l === '+inf' || l === 'inf' || l === '+infinity' || l === 'infinity') return Infinity;
  if (l === '-inf' || l === '-infinity') return -Infinity;
  if (l === 'nan') return NaN;
  return undefined;
}

// ------------------------------------------------------------ absent

function absent(args: Value[], ctx: CallContext): Value {
  if (vec(args[0]!).length > 0) return vector([]);
  let e = ctx.args[0];
  while (e?.kind === 'paren') e = e.expr;
  const labels: Record<string, string> = {};
  if (e?.kind === 'vectorSelector') {
    const seen = new Set<string>();
    for (const m of e.matchers) {
      if (m.name === METRIC_NAME) continue;
      if (m.type === '=' && !seen.has(m.name)) labels[m.name] = m.value;
      else delete labels[m.name];
      seen.add(m.name);
    }
  }
  return vector([{ labels: Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1))), v: 1 }]);
}

// ------------------------------------------------------------ the table

export const FUNCTIONS: Record<string, FunctionDef> = {
  rate: rangeFunc((p, s, e, r) => extrapolatedRate(p, s, e, r, true, true)),
  increase: rangeFunc((p, s, e, r) => extrapolatedRate(p, s, e, r, true, false)),
  delta: rangeFunc((p, s, e, r) => extrapolatedRate(p, s, e, r, false, false)),
  irate: rangeFunc((p) => instantValue(p, true)),
  idelta: rangeFunc((p) => instantValue(p, false)),
  avg_over_time: overTime((ps) => {
    let mean = 0;
    let c = 0;
    let count = 0;
    for (const { v } of ps) {
      count++;
      if (isInf(mean)) {
        if (isInf(v) && mean > 0 === v > 0) continue; // the same infinity: already right
        if (Number.isFinite(v)) continue; // an infinite mean absorbs finite values
      }
      [mean, c] = kahanInc(v / count - mean / count, mean, c);
    }
    return isInf(mean) ? mean : mean + c;
  }),
  sum_over_time: overTime((ps) => {
    let sum = 0;
    let c = 0;
    for (const { v } of ps) [sum, c] = kahanInc(v, sum, c);
    return Number.isFinite(sum) ? sum + c : sum;
  }),
  min_over_time: overTime((ps) => ps.reduce((m, { v }) => (v < m || Number.isNaN(m) ? v : m), ps[0]!.v)),
  max_over_time: overTime((ps) => ps.reduce((m, { v }) => (v > m || Number.isNaN(m) ? v : m), ps[0]!.v)),
  count_over_time: overTime((ps) => ps.length),
  last_over_time: overTime((ps) => ps[ps.length - 1]!.v, true),
  abs: simple(Math.abs),
  ceil: simple(Math.ceil),
  floor: simple(Math.floor),
  sqrt: simple(Math.sqrt),
  exp: simple(Math.exp),
  ln: simple(Math.log),
  log2: simple(Math.log2),
  log10: simple(Math.log10),
  sgn: simple((v) => (v > 0 ? 1 : v < 0 ? -1 : v)),
  round: {
    args: ['vector', 'scalar'],
    optional: 1,
    returns: 'vector',
    impl: ([a, to]) => {
      const inverse = 1 / (to ? num(to) : 1);
      return vector(vec(a!).map((s) => ({ labels: dropMetricName(s.labels), v: Math.floor(s.v * inverse + 0.5) / inverse })));
    },
  },
  clamp: {
    args: ['vector', 'scalar', 'scalar'],
    returns: 'vector',
    impl: ([a, lo, hi]) => {
      const min = num(lo);
      const max = num(hi);
      if (max < min) return vector([]);
      return vector(vec(a!).map((s) => ({ labels: dropMetricName(s.labels), v: goMax(min, goMin(max, s.v)) })));
    },
  },
  clamp_min: {
    args: ['vector', 'scalar'],
    returns: 'vector',
    impl: ([a, lo]) => vector(vec(a!).map((s) => ({ labels: dropMetricName(s.labels), v: goMax(num(lo), s.v) }))),
  },
  clamp_max: {
    args: ['vector', 'scalar'],
    returns: 'vector',
    impl: ([a, hi]) => vector(vec(a!).map((s) => ({ labels: dropMetricName(s.labels), v: goMin(num(hi), s.v) }))),
  },
  histogram_quantile: { args: ['scalar', 'vector'], returns: 'vector', impl: histogramQuantile },
  time: { args: [], returns: 'scalar', impl: (_a, ctx) => scalar(ctx.ts / 1000) },
  vector: { args: ['scalar'], returns: 'vector', impl: ([s]) => vector([{ labels: {}, v: num(s) }]) },
  scalar: {
    args: ['vector'],
    returns: 'scalar',
    impl: ([a]) => {
      const samples = vec(a!);
      return scalar(samples.length === 1 ? samples[0]!.v : NaN);
    },
  },
  absent: { args: ['vector'], returns: 'vector', impl: absent },
};

/** Functions Prometheus has that promlite does not: named in the error, never answered wrongly. */
export const UNSUPPORTED_FUNCTIONS: ReadonlySet<string> = new Set([
  'absent_over_time', 'acos', 'acosh', 'asin', 'asinh', 'atan', 'atanh', 'changes', 'cos', 'cosh', 'day_of_month', 'day_of_week',
  'day_of_year', 'days_in_month', 'deg', 'deriv', 'histogram_count', 'histogram_fraction', 'histogram_sum', 'holt_winters', 'hour',
  'label_join', 'label_replace', 'minute', 'month', 'pi', 'predict_linear', 'present_over_time', 'quantile_over_time', 'rad',
  'resets', 'sin', 'sinh', 'sort', 'sort_desc', 'stddev_over_time', 'stdvar_over_time', 'tan', 'tanh', 'timestamp', 'year',
]);

const isInf = (v: number): boolean => v === Infinity || v === -Infinity;

/** Go's math.Max/Min: NaN wins. */
function goMax(a: number, b: number): number {
  return Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b);
}
function goMin(a: number, b: number): number {
  return Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b);
}

export function describeArgs(def: FunctionDef): string {
  return def.args.map((t) => TYPE_NAMES[t]).join(', ');
}
