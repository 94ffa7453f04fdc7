/**
 * Evaluates a parsed PromQL expression against the store at an instant, or
 * at every step of a range. Selectors follow Prometheus 2.42: an instant
 * selector takes each series' latest sample no older than the lookback
 * (5 min), unless that sample is a staleness marker; a range selector takes
 * the samples in [t - range, t].
 */
import type { Expr, VectorSelector } from './ast.js';
import { aggregate } from './aggregate.js';
import { scalarBinop, vectorBinop, vectorScalarBinop } from './binary.js';
import { badData, execution } from './errors.js';
import { FUNCTIONS } from './functions.js';
import { compareLabels, dropMetricName, labelsKey, type Labels } from './labels.js';
import { parseExpr, typeOf } from './parse.js';
import type { Point, SeriesStore } from './store.js';
import { scalar, vector, type MatrixSeries, type Value, type VectorSample } from './values.js';

export const DEFAULT_LOOKBACK_MS = 5 * 60_000;
/** Prometheus's cap on points per series in a range query. */
export const MAX_RANGE_POINTS = 11_000;

export interface EvalOptions {
  /** How far back an instant selector looks for a sample (default 5 min). */
  lookbackMs?: number;
}

export function evaluate(expr: Expr, store: SeriesStore, ts: number, opts: EvalOptions = {}): Value {
  return new Evaluator(store, ts, opts.lookbackMs ?? DEFAULT_LOOKBACK_MS).eval(expr);
}

/** Parses and evaluates at `ts` (ms). Throws QueryError (bad_data or execution). */
export function instantQuery(query: string, store: SeriesStore, ts: number, opts: EvalOptions = {}): Value {
  return evaluate(parseExpr(query), store, ts, opts);
}

/** Evaluates at start, start+step, … <= end; every series with its points, sorted by labels. */
export function rangeQuery(query: string, store: SeriesStore, start: number, end: number, stepMs: number, opts: EvalOptions = {}): MatrixSeries[] {
  const expr = parseExpr(query);
  const type = typeOf(expr);
  if (type !== 'scalar' && type !== 'vector') {
    throw badData(`invalid expression type "${type === 'matrix' ? 'range vector' : type}" for range query, must be Scalar or instant Vector`);
  }
  if (end < start) throw badData('end timestamp must not be before start time');
  if (!(stepMs > 0)) throw badData('zero or negative query resolution step widths are not accepted. Try a positive integer');
  if ((end - start) / stepMs > MAX_RANGE_POINTS) {
    throw badData('exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
  }
  const series = new Map<string, MatrixSeries>();
  for (let ts = start; ts <= end; ts += stepMs) {
    const v = evaluate(expr, store, ts, opts);
    const samples: VectorSample[] = v.type === 'scalar' ? [{ labels: {}, v: v.v }] : v.type === 'vector' ? v.samples : [];
    for (const s of samples) {
      const key = labelsKey(s.labels);
      let ms = series.get(key);
      if (!ms) series.set(key, (ms = { labels: s.labels, points: [] }));
      ms.points.push({ t: ts, v: s.v });
    }
  }
  return [...series.values()].sort((a, b) => compareLabels(a.labels, b.labels));
}

class Evaluator {
  constructor(
    private readonly store: SeriesStore,
    private readonly ts: number,
    private readonly lookbackMs: number,
  ) {}

  eval(e: Expr): Value {
    switch (e.kind) {
      case 'number':
        return scalar(e.value);
      case 'string':
        return { type: 'string', s: e.value };
      case 'paren':
        return this.eval(e.expr);
      case 'vectorSelector':
        return vector(this.selectVector(e));
      case 'matrixSelector':
        return { type: 'matrix', series: this.selectMatrix(e.selector, e.rangeMs) };
      case 'call': {
        const def = FUNCTIONS[e.func]!;
        const out = def.impl(
          e.args.map((a) => this.eval(a)),
          { ts: this.ts, args: e.args },
        );
        return out.type === 'vector' ? vector(unique(out.samples)) : out;
      }
      case 'aggregate':
        return vector(aggregate(e, this.vectorOf(e.expr)));
      case 'unary': {
        const v = this.eval(e.expr);
        if (v.type === 'scalar') return scalar(-v.v);
        if (v.type === 'vector') return vector(unique(v.samples.map((s) => ({ labels: dropMetricName(s.labels), v: -s.v }))));
        throw execution(`unary minus on a ${v.type}`);
      }
      case 'binary': {
        const l = this.eval(e.lhs);
        const r = this.eval(e.rhs);
        if (l.type === 'scalar' && r.type === 'scalar') return scalar(scalarBinop(e.op, l.v, r.v));
        if (l.type === 'vector' && r.type === 'scalar') return vector(unique(vectorScalarBinop(e, l.samples, r.v, false)));
        if (l.type === 'scalar' && r.type === 'vector') return vector(unique(vectorScalarBinop(e, r.samples, l.v, true)));
        if (l.type === 'vector' && r.type === 'vector') return vector(unique(vectorBinop(e, l.samples, r.samples)));
        throw execution(`binary expression between ${l.type} and ${r.type}`);
      }
    }
  }

  private vectorOf(e: Expr): VectorSample[] {
    const v = this.eval(e);
    if (v.type !== 'vector') throw execution(`expected an instant vector, got ${v.type}`);
    return v.samples;
  }

  private selectVector(sel: VectorSelector): VectorSample[] {
    const ref = this.ts - sel.offsetMs;
    const out: VectorSample[] = [];
    for (const s of this.store.select(sel.matchers)) {
      const smp = s.lastAtOrBefore(ref);
      if (!smp || smp.stale || smp.t < ref - this.lookbackMs) continue;
      out.push({ labels: s.labels, v: smp.v });
    }
    return out;
  }

  private selectMatrix(sel: VectorSelector, rangeMs: number): MatrixSeries[] {
    const maxt = this.ts - sel.offsetMs;
    const out: MatrixSeries[] = [];
    for (const s of this.store.select(sel.matchers)) {
      const points: Point[] = s.range(maxt - rangeMs, maxt);
      if (points.length) out.push({ labels: s.labels, points });
    }
    return out;
  }
}

/** Prometheus refuses a result holding one label set twice (e.g. after a function dropped the names). */
function unique(samples: VectorSample[]): VectorSample[] {
  if (samples.length < 2) return samples;
  const seen = new Set<string>();
  for (const s of samples) {
    const k = labelsKey(s.labels as Labels);
    if (seen.has(k)) throw execution('vector cannot contain metrics with the same labelset');
    seen.add(k);
  }
  return samples;
}
