/**
 * promlite's PromQL evaluator on a hand-built store: every expected number
 * below is worked out by hand from Prometheus 2.42's algorithms.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { QueryError } from '../../src/demo/promlite/errors.js';
import { instantQuery, rangeQuery } from '../../src/demo/promlite/eval.js';
import { createSeriesStore, type SeriesStore } from '../../src/demo/promlite/store.js';
import type { Value } from '../../src/demo/promlite/values.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const s = (sec: number): number => T0 + sec * 1000;

function storeWith(rows: Array<[Record<string, string>, Array<[number, number]>]>): SeriesStore {
  const clock = new ManualClock(s(3600));
  const store = createSeriesStore({ clock, retentionMs: 24 * 3_600_000 });
  for (const [labels, points] of rows) for (const [t, v] of points) store.append(labels, s(t), v);
  return store;
}

function q(store: SeriesStore, expr: string, atSec: number): Value {
  return instantQuery(expr, store, s(atSec));
}

/** The instant vector as { '{labels}': value }. */
function vec(store: SeriesStore, expr: string, atSec: number): Record<string, number> {
  const v = q(store, expr, atSec);
  if (v.type !== 'vector') throw new Error(`expected a vector, got ${v.type}`);
  return Object.fromEntries(v.samples.map((x) => [JSON.stringify(x.labels), x.v]));
}

function one(store: SeriesStore, expr: string, atSec: number): number {
  const v = q(store, expr, atSec);
  if (v.type === 'scalar') return v.v;
  if (v.type !== 'vector' || v.samples.length !== 1) throw new Error(`expected one sample from ${expr}, got ${JSON.stringify(v)}`);
  return v.samples[0]!.v;
}

function queryError(fn: () => unknown): QueryError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(QueryError);
    return err as QueryError;
  }
  throw new Error('expected a QueryError');
}

const C = { __name__: 'c_total', job: 'j', instance: 'a' };

describe('rate, increase, irate', () => {
  // 0 s..60 s every 15 s: 10, 20, 30, reset to 5, 15.
  const store = storeWith([[C, [[0, 10], [15, 20], [30, 30], [45, 5], [60, 15]]]]);

  it('adds back what a counter had reached before a reset', () => {
    // last - first = 5, plus 30 lost at the reset = 35; samples span the whole [0, 60] range: no extrapolation.
    expect(one(store, 'increase(c_total[1m])', 60)).toBeCloseTo(35, 10);
    expect(one(store, 'rate(c_total[1m])', 60)).toBeCloseTo(35 / 60, 12);
  });

  it('irate uses the last two samples, a reset counting from zero', () => {
    expect(one(store, 'irate(c_total[1m])', 60)).toBeCloseTo(10 / 15, 12);
    expect(one(store, 'irate(c_total[1m])', 50)).toBeCloseTo(5 / 15, 12); // 30 -> 5 is a reset: 5 over 15 s
  });

  it('drops the metric name and needs two samples', () => {
    expect(Object.keys(vec(store, 'rate(c_total[1m])', 60))).toEqual([JSON.stringify({ instance: 'a', job: 'j' })]);
    expect(vec(store, 'rate(c_total[10s])', 60)).toEqual({}); // only the sample at 60 s
  });

  it('extrapolates toward the range edges when samples stop short of them', () => {
    const st = storeWith([[C, [[10, 100], [20, 110], [30, 120], [40, 130], [50, 140]]]]);
    // 40 over 40 s sampled, 10 s missing at each end (< 1.1 x the 10 s spacing): 40 x 60/40 = 60.
    expect(one(st, 'increase(c_total[1m])', 60)).toBeCloseTo(60, 10);
    expect(one(st, 'rate(c_total[1m])', 60)).toBeCloseTo(1, 12);
  });

  it('never extrapolates a counter below zero', () => {
    const st = storeWith([[C, [[30, 0], [40, 10], [50, 20]]]]);
    // The counter starts at 0 at 30 s, so the start is not extrapolated: 20 x (20 + 0 + 10) / 20 = 30.
    expect(one(st, 'increase(c_total[1m])', 60)).toBeCloseTo(30, 10);
  });

  it('extrapolates by half a sample interval across a gap larger than 1.1 intervals', () => {
    const st = storeWith([[C, [[30, 100], [40, 110], [50, 120]]]]);
    // durationToStart 30 s > 11 s: + 5 s; durationToEnd 10 s: + 10 s; 20 x 35/20 = 35.
    expect(one(st, 'increase(c_total[1m])', 60)).toBeCloseTo(35, 10);
  });

  it('delta does no counter handling', () => {
    const st = storeWith([[{ __name__: 'g' }, [[0, 10], [30, 4], [60, 7]]]]);
    expect(one(st, 'delta(g[1m])', 60)).toBeCloseTo(-3, 12);
  });

  it('honours offset', () => {
    // At 75 s with offset 15 s the range is [0, 60] again.
    expect(one(store, 'increase(c_total[1m] offset 15s)', 75)).toBeCloseTo(35, 10);
    expect(one(store, 'c_total offset 30s', 60)).toBe(30);
  });
});

describe('histogram_quantile', () => {
  const bucket = (le: string, v: number, extra: Record<string, string> = {}): [Record<string, string>, Array<[number, number]>] => [
    { __name__: 'h_bucket', le, ...extra },
    [[100, v]],
  ];
  // Cumulative counts: <=0.1: 10, <=0.5: 60, <=1: 90, +Inf: 100.
  const store = storeWith([bucket('0.1', 10), bucket('0.5', 60), bucket('1', 90), bucket('+Inf', 100)]);

  it('interpolates linearly inside the bucket holding the rank', () => {
    expect(one(store, 'histogram_quantile(0.5, h_bucket)', 100)).toBeCloseTo(0.1 + 0.4 * (40 / 50), 12); // 0.42
    expect(one(store, 'histogram_quantile(0.8, h_bucket)', 100)).toBeCloseTo(0.5 + 0.5 * (20 / 30), 12);
    expect(one(store, 'histogram_quantile(0.05, h_bucket)', 100)).toBeCloseTo(0.1 * (5 / 10), 12); // first bucket starts at 0
  });

  it('answers the highest finite bound when the rank falls in +Inf', () => {
    expect(one(store, 'histogram_quantile(0.95, h_bucket)', 100)).toBe(1);
  });

  it('is NaN without a +Inf bucket, ±Inf for q outside [0, 1]', () => {
    const noInf = storeWith([bucket('0.1', 10), bucket('1', 20)]);
    expect(one(noInf, 'histogram_quantile(0.5, h_bucket)', 100)).toBeNaN();
    expect(one(store, 'histogram_quantile(1.5, h_bucket)', 100)).toBe(Infinity);
    expect(one(store, 'histogram_quantile(-1, h_bucket)', 100)).toBe(-Infinity);
  });

  it('keeps one result per label set, without le and the name', () => {
    const st = storeWith([
      bucket('1', 5, { instance: 'a' }),
      bucket('+Inf', 10, { instance: 'a' }),
      bucket('1', 10, { instance: 'b' }),
      bucket('+Inf', 10, { instance: 'b' }),
    ]);
    expect(vec(st, 'histogram_quantile(0.5, h_bucket)', 100)).toEqual({
      [JSON.stringify({ instance: 'a' })]: 1, // rank 5 reaches bucket 1 exactly: 0 + 1 x 5/5
      [JSON.stringify({ instance: 'b' })]: 0.5,
    });
  });

  it('forces bucket counts monotonic', () => {
    const st = storeWith([bucket('1', 10), bucket('2', 8), bucket('+Inf', 20)]);
    // le=2 is raised to 10; rank 15 first reached by +Inf: the highest finite bound, 2.
    expect(one(st, 'histogram_quantile(0.75, h_bucket)', 100)).toBe(2);
    // rank 5 in the first bucket: 1 x 5/10.
    expect(one(st, 'histogram_quantile(0.25, h_bucket)', 100)).toBeCloseTo(0.5, 12);
  });

  it('composes with sum by (le) (rate(...))', () => {
    const rows: Array<[Record<string, string>, Array<[number, number]>]> = [];
    for (const inst of ['a', 'b']) {
      // Over 60 s each instance adds 10 in (0, 0.1], 40 in (0.1, 0.5], 50 above 0.5.
      const add = { '0.1': 10, '0.5': 50, '+Inf': 100 } as Record<string, number>;
      for (const le of ['0.1', '0.5', '+Inf']) rows.push([{ __name__: 'h_bucket', le, instance: inst }, [[0, 1000], [30, 1000 + add[le]! / 2], [60, 1000 + add[le]!]]]);
    }
    const st = storeWith(rows);
    // Summed rates per bucket: 20/60, 100/60, 200/60. p50: rank 100/60 sits exactly at the top of le=0.5.
    expect(one(st, 'histogram_quantile(0.5, sum by (le) (rate(h_bucket[1m])))', 60)).toBeCloseTo(0.5, 12);
    // p25: rank 50/60 in (0.1, 0.5]: 0.1 + 0.4 x (50-20)/(100-20).
    expect(one(st, 'histogram_quantile(0.25, sum by (le) (rate(h_bucket[1m])))', 60)).toBeCloseTo(0.1 + 0.4 * (30 / 80), 12);
  });
});

describe('aggregation', () => {
  const store = storeWith([
    [{ __name__: 'm', job: 'x', instance: 'a', mode: 'r' }, [[0, 1]]],
    [{ __name__: 'm', job: 'x', instance: 'b', mode: 'w' }, [[0, 4]]],
    [{ __name__: 'm', job: 'y', instance: 'c', mode: 'r' }, [[0, 10]]],
  ]);

  it('sum, avg, min, max, count without grouping', () => {
    expect(one(store, 'sum(m)', 10)).toBe(15);
    expect(one(store, 'avg(m)', 10)).toBe(5);
    expect(one(store, 'min(m)', 10)).toBe(1);
    expect(one(store, 'max(m)', 10)).toBe(10);
    expect(one(store, 'count(m)', 10)).toBe(3);
    expect(one(store, 'stddev(m)', 10)).toBeCloseTo(Math.sqrt(((1 - 5) ** 2 + (4 - 5) ** 2 + (10 - 5) ** 2) / 3), 12);
  });

  it('by keeps only the grouping labels; the clause may follow the argument', () => {
    const expected = { [JSON.stringify({ job: 'x' })]: 5, [JSON.stringify({ job: 'y' })]: 10 };
    expect(vec(store, 'sum by (job) (m)', 10)).toEqual(expected);
    expect(vec(store, 'sum(m) by (job)', 10)).toEqual(expected);
  });

  it('without drops the listed labels and the name', () => {
    expect(vec(store, 'max without (instance, job) (m)', 10)).toEqual({
      [JSON.stringify({ mode: 'r' })]: 10,
      [JSON.stringify({ mode: 'w' })]: 4,
    });
  });

  it('an empty input gives an empty result, not zero', () => {
    expect(vec(store, 'sum(nothing_here)', 10)).toEqual({});
  });
});

describe('binary operators', () => {
  const store = storeWith([
    [{ __name__: 'fail_total', instance: 'a' }, [[0, 3]]],
    [{ __name__: 'fail_total', instance: 'b' }, [[0, 0]]],
    [{ __name__: 'fail_total', instance: 'c' }, [[0, 1]]],
    [{ __name__: 'all_total', instance: 'a' }, [[0, 12]]],
    [{ __name__: 'all_total', instance: 'b' }, [[0, 0]]],
    [{ __name__: 'all_total', instance: 'd' }, [[0, 5]]],
  ]);

  it('divides vector by vector one-to-one on all labels but the name', () => {
    const r = vec(store, 'fail_total / all_total', 10);
    expect(Object.keys(r).sort()).toEqual([JSON.stringify({ instance: 'a' }), JSON.stringify({ instance: 'b' })]);
    expect(r[JSON.stringify({ instance: 'a' })]).toBe(0.25);
    expect(r[JSON.stringify({ instance: 'b' })]).toBeNaN(); // 0/0
  });

  it('division by zero gives ±Inf and NaN as Prometheus does', () => {
    expect(one(store, '1 / 0', 10)).toBe(Infinity);
    expect(one(store, '-1 / 0', 10)).toBe(-Infinity);
    expect(one(store, '0 / 0', 10)).toBeNaN();
    expect(vec(store, 'fail_total{instance="a"} / 0', 10)).toEqual({ [JSON.stringify({ instance: 'a' })]: Infinity });
  });

  it('comparisons filter and keep the name; bool gives 0/1 without it', () => {
    expect(vec(store, 'fail_total > 0.5', 10)).toEqual({
      [JSON.stringify({ __name__: 'fail_total', instance: 'a' })]: 3,
      [JSON.stringify({ __name__: 'fail_total', instance: 'c' })]: 1,
    });
    expect(vec(store, '2 < fail_total', 10)).toEqual({ [JSON.stringify({ __name__: 'fail_total', instance: 'a' })]: 3 });
    expect(vec(store, 'fail_total > bool 0.5', 10)).toEqual({
      [JSON.stringify({ instance: 'a' })]: 1,
      [JSON.stringify({ instance: 'b' })]: 0,
      [JSON.stringify({ instance: 'c' })]: 1,
    });
    expect(vec(store, 'fail_total >= all_total', 10)).toEqual({ [JSON.stringify({ __name__: 'fail_total', instance: 'b' })]: 0 });
    expect(one(store, '2 > bool 1', 10)).toBe(1);
  });

  it('respects precedence and associativity', () => {
    expect(one(store, '1 + 2 * 3', 10)).toBe(7);
    expect(one(store, '(1 + 2) * 3', 10)).toBe(9);
    expect(one(store, '2 ^ 3 ^ 2', 10)).toBe(512);
    expect(one(store, '-2 ^ 2', 10)).toBe(-4);
    expect(one(store, '10 - 2 - 3', 10)).toBe(5);
    expect(one(store, '7 % 4', 10)).toBe(3);
  });

  it('and, or, unless, on and ignoring', () => {
    expect(Object.keys(vec(store, 'fail_total and all_total', 10)).length).toBe(2);
    expect(Object.keys(vec(store, 'fail_total unless all_total', 10))).toEqual([JSON.stringify({ __name__: 'fail_total', instance: 'c' })]);
    expect(Object.keys(vec(store, 'fail_total or all_total', 10)).length).toBe(4);
    expect(vec(store, 'sum(fail_total) / on() sum(all_total)', 10)).toEqual({ '{}': 4 / 17 });
    expect(vec(store, 'fail_total{instance="a"} / ignoring(instance) all_total{instance="d"}', 10)).toEqual({ '{}': 3 / 5 });
  });

  it('refuses many-to-one matches instead of picking one', () => {
    const st = storeWith([
      [{ __name__: 'l', instance: 'a', x: '1' }, [[0, 1]]],
      [{ __name__: 'l', instance: 'a', x: '2' }, [[0, 2]]],
      [{ __name__: 'r', instance: 'a' }, [[0, 1]]],
    ]);
    const err = queryError(() => q(st, 'l / on(instance) r', 10));
    expect(err.type).toBe('execution');
    expect(err.message).toBe('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
    expect(queryError(() => q(st, 'r / on(instance) l', 10)).message).toContain('many-to-many matching not allowed');
  });
});

describe('selectors and staleness', () => {
  const store = storeWith([
    [{ __name__: 'g', status: '200' }, [[0, 1]]],
    [{ __name__: 'g', status: '500' }, [[0, 2]]],
    [{ __name__: 'g', status: '503' }, [[0, 3]]],
  ]);

  it('matches =, !=, =~ (anchored) and !~', () => {
    expect(one(store, 'sum(g{status="500"})', 10)).toBe(2);
    expect(one(store, 'sum(g{status!="500"})', 10)).toBe(4);
    expect(one(store, 'sum(g{status=~"5.."})', 10)).toBe(5);
    expect(vec(store, 'g{status=~"5"}', 10)).toEqual({}); // anchored: "5" matches no status
    expect(one(store, 'sum(g{status!~"5.."})', 10)).toBe(1);
    expect(one(store, 'sum({__name__="g", status=~"2..|503"})', 10)).toBe(4);
  });

  it('a series with no sample in the 5 minutes before the evaluation is absent', () => {
    expect(one(store, 'count(g)', 299)).toBe(3);
    expect(one(store, 'count(g)', 300)).toBe(3); // exactly 5 min old still counts in 2.42
    expect(vec(store, 'g', 301)).toEqual({});
  });

  it('a staleness marker ends a series at once', () => {
    const clock = new ManualClock(s(100));
    const st = createSeriesStore({ clock });
    st.append({ __name__: 'u' }, s(0), 1);
    st.append({ __name__: 'u' }, s(10), 2);
    st.markStale({ __name__: 'u' }, s(20));
    expect(one(st, 'u', 15)).toBe(2);
    expect(vec(st, 'u', 25)).toEqual({});
    // Range selectors skip the marker.
    expect(one(st, 'count_over_time(u[1m])', 25)).toBe(2);
  });

  it('refuses out-of-order samples like a TSDB', () => {
    const clock = new ManualClock(s(100));
    const st = createSeriesStore({ clock });
    expect(st.append({ __name__: 'u' }, s(10), 1)).toBe('ok');
    expect(st.append({ __name__: 'u' }, s(5), 1)).toBe('out_of_order');
    expect(st.append({ __name__: 'u' }, s(10), 2)).toBe('duplicate');
    expect(one(st, 'u', 20)).toBe(1);
  });

  it('drops samples past the retention', () => {
    const clock = new ManualClock(s(0));
    const st = createSeriesStore({ clock, retentionMs: 60_000 });
    st.append({ __name__: 'u' }, s(0), 1);
    clock.jumpTo(s(61));
    expect(st.select([]).length).toBe(0);
    expect(st.size()).toBe(1); // the empty series is swept lazily; select already ignores it
  });
});

describe('functions', () => {
  const store = storeWith([
    [{ __name__: 'v', k: 'neg' }, [[0, -3.5]]],
    [{ __name__: 'v', k: 'pos' }, [[0, 7.25]]],
  ]);

  it('abs, clamp_min, clamp_max, clamp, round', () => {
    expect(vec(store, 'abs(v)', 10)).toEqual({ [JSON.stringify({ k: 'neg' })]: 3.5, [JSON.stringify({ k: 'pos' })]: 7.25 });
    expect(vec(store, 'clamp_min(v, 0)', 10)).toEqual({ [JSON.stringify({ k: 'neg' })]: 0, [JSON.stringify({ k: 'pos' })]: 7.25 });
    expect(vec(store, 'clamp_max(v, 5)', 10)).toEqual({ [JSON.stringify({ k: 'neg' })]: -3.5, [JSON.stringify({ k: 'pos' })]: 5 });
    expect(vec(store, 'clamp(v, 5, 1)', 10)).toEqual({});
    expect(vec(store, 'round(v, 0.5)', 10)).toEqual({ [JSON.stringify({ k: 'neg' })]: -3.5, [JSON.stringify({ k: 'pos' })]: 7.5 });
  });

  it('time(), vector(), scalar()', () => {
    expect(one(store, 'time()', 10)).toBe(s(10) / 1000);
    expect(vec(store, 'vector(2) * 3', 10)).toEqual({ '{}': 6 });
    expect(one(store, 'scalar(v{k="pos"})', 10)).toBe(7.25);
    expect(one(store, 'scalar(v)', 10)).toBeNaN(); // two elements
  });

  it('absent() gives 1 with the equality labels only when nothing matches', () => {
    expect(vec(store, 'absent(v)', 10)).toEqual({});
    expect(vec(store, 'absent(nope{job="x", a=~"y"})', 10)).toEqual({ [JSON.stringify({ job: 'x' })]: 1 });
  });

  it('*_over_time', () => {
    const st = storeWith([[{ __name__: 'w' }, [[0, 2], [10, 4], [20, 9]]]]);
    expect(one(st, 'avg_over_time(w[1m])', 20)).toBeCloseTo(5, 12);
    expect(one(st, 'max_over_time(w[1m])', 20)).toBe(9);
    expect(one(st, 'min_over_time(w[1m])', 20)).toBe(2);
    expect(one(st, 'sum_over_time(w[1m])', 20)).toBe(15);
    expect(one(st, 'count_over_time(w[15s])', 20)).toBe(2);
  });

  it('a result holding one label set twice is an execution error', () => {
    const st = storeWith([
      [{ __name__: 'a', x: '1' }, [[0, 1]]],
      [{ __name__: 'b', x: '1' }, [[0, 2]]],
    ]);
    const err = queryError(() => q(st, 'abs({x="1"})', 10));
    expect(err.type).toBe('execution');
    expect(err.message).toBe('vector cannot contain metrics with the same labelset');
  });
});

describe('range queries', () => {
  it('evaluates at every step and sorts series by labels', () => {
    const store = storeWith([
      [{ __name__: 'g', i: 'b' }, [[0, 1], [20, 2]]],
      [{ __name__: 'g', i: 'a' }, [[10, 5]]],
    ]);
    const m = rangeQuery('g * 2', store, s(0), s(30), 10_000);
    expect(m.map((x) => x.labels)).toEqual([{ i: 'a' }, { i: 'b' }]);
    expect(m[0]!.points).toEqual([{ t: s(10), v: 10 }, { t: s(20), v: 10 }, { t: s(30), v: 10 }]);
    expect(m[1]!.points.map((p) => p.v)).toEqual([2, 2, 4, 4]);
  });

  it('a scalar becomes a series with no labels; range vectors are refused', () => {
    const store = storeWith([]);
    expect(rangeQuery('time()', store, s(0), s(2), 1000).map((x) => x.points.length)).toEqual([3]);
    expect(queryError(() => rangeQuery('g[1m]', store, s(0), s(2), 1000)).message).toBe(
      'invalid expression type "range vector" for range query, must be Scalar or instant Vector',
    );
  });
});
