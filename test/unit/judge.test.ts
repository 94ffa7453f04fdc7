/**
 * The canary judge's numerics and policy: the U test against hand-worked
 * examples, Kayenta's classification rules, the stage score, and the score
 * gate driven through the engine.
 */
import jStat from 'jstat';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/judge/classify.js';
import { hodgesLehmann, kthDifference, mannWhitney, removeOutliers } from '../../src/judge/mann-whitney.js';
import { scoreMetrics } from '../../src/judge/score.js';
import { cohortQuery } from '../../checks/compare.js';
import { scoreResult } from '../../checks/score.js';
import { parsePlanText } from '../../src/plan/load.js';
import { createGateRuntime, stepGate } from '../../src/engine/gate.js';

describe('Mann-Whitney U (jstat ranks and normal CDF)', () => {
  it('matches a hand-worked example without ties: 1..5 against 6..10', () => {
    // U = 0 (no x above any y). z = (0 − 12.5 + 0.5) / sqrt(25·11/12) = −12 / 4.78714 = −2.50672;
    // p = 2·Φ(−2.50672) = 0.012186 (R: wilcox.test(1:5, 6:10, exact = FALSE) gives p-value = 0.01219).
    const r = mannWhitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
    expect(r.u).toBe(0);
    expect(r.z).toBeCloseTo(-2.50672, 4);
    expect(r.pValue).toBeCloseTo(0.012186, 5);
    // Hodges–Lehmann: the median of the 25 differences xi − yj (−9 … −1, symmetric about −5).
    expect(r.estimate).toBe(-5);
    // Lehmann's 95 % interval: C = floor(12.5 − 1.95996·4.78714) = 3 → the 3rd smallest and 3rd largest
    // differences, −8 and −2 (R: conf.int = TRUE gives −8 −2).
    expect([r.lower, r.upper]).toEqual([-8, -2]);
  });

  it('matches a hand-worked example with ties', () => {
    // x = 1.1 2.2 2.2 3.5, y = 2.2 0.5 1.1 4.0. Ranks of the 8: 0.5→1, 1.1→2.5 (×2), 2.2→5 (×3), 3.5→7, 4.0→8.
    // R(x) = 2.5 + 5 + 5 + 7 = 19.5, U = 19.5 − 4·5/2 = 9.5 (pairs: 1.5 + 2.5 + 2.5 + 3).
    // Ties: Σ(t³−t) = 6 + 24 = 30; σ = sqrt(16/12 · (9 − 30/56)) = 3.359422.
    // z = (9.5 − 8 − 0.5) / 3.359422 = 0.297670; p = 2·(1 − Φ(0.29767)) = 0.76595.
    const x = [1.1, 2.2, 2.2, 3.5];
    const y = [2.2, 0.5, 1.1, 4.0];
    const r = mannWhitney(x, y);
    expect(r.u).toBe(9.5);
    expect(r.z).toBeCloseTo(0.29767, 4);
    expect(r.pValue).toBeCloseTo(0.76595, 4);
    // Differences sorted: −2.9 −1.8 −1.8 −1.1 −0.5 0 0 0 | 0.6 1.1 1.1 1.3 1.7 1.7 2.4 3.0 → median (0 + 0.6)/2.
    expect(hodgesLehmann(x, y)).toBeCloseTo(0.3, 10);
    expect(r.lower).toBeLessThan(0);
    expect(r.upper).toBeGreaterThan(0.3);
  });

  it('counts U and the ties as jStat.rank\'s rank sum does, on samples with and without ties', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (const [nx, ny, grid] of [[40, 55, 0], [300, 200, 0.01], [17, 1, 0.5], [1, 1, 0]] as const) {
      const draw = (n: number, shift: number) => Array.from({ length: n }, () => { const v = rnd() + shift; return grid ? Math.round(v / grid) * grid : v; });
      const x = draw(nx, 0.1);
      const y = draw(ny, 0);
      const ranks = jStat.rank([...x, ...y]);
      const u = ranks.slice(0, nx).reduce((a, b) => a + b, 0) - (nx * (nx + 1)) / 2;
      const groups = new Map<number, number>();
      for (const r of ranks) groups.set(r, (groups.get(r) ?? 0) + 1);
      const ties = [...groups.values()].reduce((s, t) => s + t ** 3 - t, 0);
      const sigma = Math.sqrt(((nx * ny) / 12) * (nx + ny + 1 - ties / ((nx + ny) * (nx + ny - 1))));
      const r = mannWhitney(x, y);
      expect(r.u).toBeCloseTo(u, 9);
      const dz = u - (nx * ny) / 2;
      expect(r.z).toBeCloseTo(sigma === 0 ? 0 : (dz - Math.sign(dz) * 0.5) / sigma, 9);
    }
    expect(() => mannWhitney([1, NaN], [2])).toThrow(/NaN/);
  });

  it('judges 150,000 samples a cohort (Math.min(...samples) overflowed the stack)', () => {
    const big = (c: number) => Array.from({ length: 150_000 }, (_, i) => c * (1 + 0.05 * Math.sin(i * 1.7)));
    const d = classify({ values: big(120), series: 50 }, { values: big(100), series: 50 }, opts);
    expect(d.classification).toBe('high');
    expect(d.canary.max!).toBeCloseTo(126, 0);
  });

  it('finds the k-th pairwise difference by bisection as sorting all pairs does (the large-sample path)', () => {
    const x = Array.from({ length: 37 }, (_, i) => 10 + Math.sin(i * 2.1) * 3);
    const y = Array.from({ length: 23 }, (_, i) => 11 + Math.cos(i * 1.3) * 2);
    const diffs = x.flatMap((a) => y.map((b) => a - b)).sort((a, b) => a - b);
    const xs = Float64Array.from(x).sort();
    const ys = Float64Array.from(y).sort();
    for (const k of [1, 2, 100, 425, 426, 700, diffs.length]) expect(kthDifference(xs, ys, k)).toBeCloseTo(diffs[k - 1]!, 9);
  });

  it('removes outliers outside Tukey\'s fences only', () => {
    const { kept, removed } = removeOutliers([10, 11, 12, 11, 10, 12, 11, 95]);
    expect(removed).toBe(1);
    expect(kept).not.toContain(95);
    expect(removeOutliers([1, 2, 3]).removed).toBe(0);
  });
});

const opts = { direction: 'increase' as const, allowedEffect: 1.1, windowMs: 60_000, stepMs: 1_000, canarySelector: 'v="2"', baselineSelector: 'v="1"' };
/** Deterministic spread: n values around `center` (±5 %). */
const around = (center: number, n = 40) => Array.from({ length: n }, (_, i) => center * (1 + 0.05 * Math.sin(i * 1.7)));

describe('Kayenta classification', () => {
  it('high only when the shift is significant and the effect exceeds the allowed one', () => {
    expect(classify({ values: around(120), series: 1 }, { values: around(100), series: 1 }, opts).classification).toBe('high');
    const small = classify({ values: around(105), series: 1 }, { values: around(100), series: 1 }, opts);
    expect(small.classification).toBe('pass');
    expect(small.pValue).toBeLessThan(0.05); // real, but tolerated
    expect(small.reason).toMatch(/within the allowed \+10\.0%/);
  });

  it('is one-sided: a drop is not bad for an increase metric; low for decrease and either', () => {
    const canary = { values: around(70), series: 1 };
    const base = { values: around(100), series: 1 };
    expect(classify(canary, base, opts).classification).toBe('pass');
    expect(classify(canary, base, { ...opts, direction: 'decrease' }).classification).toBe('low');
    expect(classify(canary, base, { ...opts, direction: 'either' }).classification).toBe('low');
  });

  it('drops NaN, says no data when a cohort has none, passes identical samples', () => {
    const nan = classify({ values: [NaN, NaN], series: 2 }, { values: around(100), series: 1 }, opts);
    expect(nan.classification).toBe('no data');
    expect(nan.canary.nan).toBe(2);
    expect(nan.reason).toMatch(/no samples from the canary/);
    expect(classify({ values: around(100), series: 1 }, { values: [...around(100)].reverse(), series: 1 }, opts).classification).toBe('pass');
  });

  it('takes +Inf (histogram_quantile past the largest bucket) as slower than every finite sample, not as missing', () => {
    // Three quarters of the canary's p95 is +Inf: past the largest bucket (1 s, say, with the canary at 1.5 s).
    // Dropped as NaN, the quarter left looked like the baseline and judged pass.
    const canary = around(100).map((v, i) => (i % 4 !== 0 ? Infinity : v));
    const d = classify({ values: canary, series: 1 }, { values: around(100), series: 1 }, opts);
    expect(d.classification, d.reason).toBe('high');
    expect(d.canary).toMatchObject({ infinite: 30, nan: 0, n: 40 });
    expect(Number.isFinite(d.estimate!) && Number.isFinite(d.upper!)).toBe(true);
    // -Inf sits below every sample: for a decrease metric it is a drop.
    const low = classify({ values: around(100).map((v, i) => (i % 4 !== 0 ? -Infinity : v)), series: 1 }, { values: around(100), series: 1 }, { ...opts, direction: 'decrease' });
    expect(low.classification, low.reason).toBe('low');
    // +Inf in both cohorts alike is no difference.
    const both = around(100).map((v, i) => (i % 4 === 0 ? Infinity : v));
    expect(classify({ values: both, series: 1 }, { values: [...both].reverse(), series: 1 }, opts).classification).toBe('pass');
  });

  it('says no data when the samples are too few for an interval at the confidence asked, instead of judging on one sample', () => {
    // One sample each: C = 1/2 − 1.96·0.5 < 1; the "interval" was the one difference and judged high at p = 1.
    const one = classify({ values: [2], series: 1 }, { values: [1], series: 1 }, opts);
    expect(one.classification, one.reason).toBe('no data');
    expect(one.reason).toMatch(/too few samples for a 95% interval \(canary 1, baseline 1\)/);
    const single = classify({ values: [2], series: 1 }, { values: around(1, 30), series: 1 }, opts);
    expect(single.classification, single.reason).toBe('no data');
    expect(mannWhitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).achieved).toBe(true);
    expect(mannWhitney([2, 2.1], [1, 1.1]).achieved).toBe(false);
  });

  it('gives both cohorts a box plot and a histogram on shared bins', () => {
    const d = classify({ values: around(120), series: 3 }, { values: around(100), series: 3 }, opts);
    expect(d.bins.length).toBe(13);
    expect(d.canary.histogram.reduce((a, b) => a + b, 0)).toBe(d.canary.n);
    expect(d.baseline.histogram.reduce((a, b) => a + b, 0)).toBe(d.baseline.n);
    expect(d.canary.median!).toBeGreaterThan(d.baseline.q3!);
    expect(d.ratio).toBeCloseTo(1.2, 2);
  });
});

describe('stage score', () => {
  const m = (gateId: string, classification: 'high' | 'low' | 'pass' | 'no data' | null, weight = 1, critical = false) => ({ gateId, classification, weight, critical });
  it('weighs passing metrics, with pass and marginal bands', () => {
    expect(scoreMetrics([m('a', 'pass', 3), m('b', 'high', 1)], 95, 70)).toMatchObject({ score: 75, verdict: 'marginal' });
    expect(scoreMetrics([m('a', 'pass'), m('b', 'pass')], 95, 70)).toMatchObject({ score: 100, verdict: 'pass' });
    expect(scoreMetrics([m('a', 'pass'), m('b', 'high'), m('c', 'low')], 95, 70).verdict).toBe('fail');
  });
  it('a critical metric that is not pass fails the stage', () => {
    expect(scoreMetrics([m('a', 'pass', 10), m('b', 'high', 1, true)], 95, 70)).toMatchObject({ score: 0, verdict: 'fail' });
    expect(scoreMetrics([m('a', 'pass', 10), m('b', 'no data', 1, true)], 95, 70).score).toBe(0);
  });
  it('half or more metrics without data is 0, never a pass', () => {
    expect(scoreMetrics([m('a', 'pass'), m('b', 'no data')], 95, 70)).toMatchObject({ score: 0, verdict: 'fail' });
    expect(scoreMetrics([m('a', 'pass'), m('b', 'pass'), m('c', null)], 95, 70)).toMatchObject({ score: 100 });
    expect(scoreMetrics([], 95, 70).score).toBe(0);
  });
});

describe('compare and score gates in a plan', () => {
  const text = `
service: checkout
prometheus: { url: http://127.0.0.1:9090 }
stages:
  - id: canary
    gates:
      - id: latency
        compare: { query: 'histogram_quantile(0.95, sum by (le) (rate(x_bucket{$cohort}[1m])))', canary: '{version="v2"}', baseline: '{version="v1"}', allowedEffect: 1.1, critical: true }
      - id: errors
        compare: { query: 'sum(rate(e{$cohort}[1m]))', canary: 'version="v2"', baseline: 'version="v1"', weight: 2 }
      - id: canary-score
        score: { pass: 90, marginal: 60 }
        onFail: rollback
    rollback: { run: [./rollback.sh] }
`;
  const plan = parsePlanText(text, 'p.yaml', process.cwd()).plan;

  it('loads, with $cohort required and the score bands as warn/fail thresholds', () => {
    expect(plan.stages[0]!.gates[0]!.compare).toMatchObject({ direction: 'increase', allowedEffect: 1.1, window: 600_000, confidence: 0.95 });
    expect(cohortQuery(plan.stages[0]!.gates[0]!.compare!.query, '{version="v2"}')).toBe('histogram_quantile(0.95, sum by (le) (rate(x_bucket{version="v2"}[1m])))');
    const rt = createGateRuntime(plan.stages[0]!.gates[2]!, 'canary', 'enforce', 0);
    expect(rt.fail.map((t) => t.text)).toEqual(['< 60']);
    expect(rt.warn.map((t) => t.text)).toEqual(['< 90']);
    expect(() => parsePlanText(text.replace('x_bucket{$cohort}', 'x_bucket{}'), 'p.yaml', process.cwd())).toThrow(/\$cohort/);
  });

  it('refuses a score that could pass on no evidence, a score naming no compare gate, and a window Prometheus will not answer', () => {
    const load = (t: string) => () => parsePlanText(t, 'p.yaml', process.cwd());
    // marginal 0: a score forced to 0 (critical high, half without data) would be `< 0` false, i.e. ok.
    expect(load(text.replace('marginal: 60', 'marginal: 0'))).toThrow(/marginal above 0/);
    expect(load(text.replace('score: { pass: 90, marginal: 60 }', 'score: { pass: 90, marginal: 60, gates: [latency, eror] }'))).toThrow(/"eror" is not a compare gate of this stage.*compare gates: latency, errors/s);
    expect(load(text.replace(/ {6}- id: latency\n.*\n {6}- id: errors\n.*\n/, ''))).toThrow(/none is in its stage or plan-wide/);
    // 1 s steps over a day are 86,400 points per series: Prometheus answers 400 on every poll.
    expect(load(text.replace('critical: true }', "critical: true, window: 1d, step: 1s }"))).toThrow(/at most 11,000 points/);
    expect(load(text.replace('critical: true }', "critical: true, window: 3h, step: 1s }"))).not.toThrow();
    // The template is checked as PromQL once each cohort's matchers stand in it.
    expect(load(text.replace("canary: '{version=\"v2\"}'", "canary: '{version=\"v2\"'"))).toThrow(/compare\.canary[\s\S]*the query for this cohort/);
    expect(load(text.replace('prometheus: { url: http://127.0.0.1:9090 }\n', ''))).toThrow(/compare gate needs Prometheus/);
  });

  it('a compare gate fails on high and shows the judge\'s detail; the score follows', () => {
    const [latency, errors, score] = plan.stages[0]!.gates.map((g) => createGateRuntime(g, 'canary', 'enforce', 0));
    const high = classify({ values: around(130), series: 1 }, { values: around(100), series: 1 }, opts);
    const pass = classify({ values: around(100), series: 1 }, { values: around(101), series: 1 }, opts);
    const l = stepGate(latency!, { status: 'value', value: high.classification, note: high.reason, judge: { kind: 'compare', detail: high } }, 1_000);
    const e = stepGate(errors!, { status: 'value', value: pass.classification, judge: { kind: 'compare', detail: pass } }, 1_000);
    expect(l.state).toBe('failing');
    expect(l.why).toMatch(/"high" != 'pass'/);
    expect(e.state).toBe('ok');
    const s = stepGate(score!, scoreResult(score!.spec, [l, e, score!]), 1_000);
    expect(s.state).toBe('failing'); // latency is critical
    expect(s.judge).toMatchObject({ kind: 'score', detail: { score: 0, verdict: 'fail' } });
    const l2 = stepGate(l, { status: 'value', value: 'pass', judge: { kind: 'compare', detail: pass } }, 2_000);
    expect(stepGate(s, scoreResult(score!.spec, [l2, e, score!]), 2_000).state).toBe('ok');
  });
});

describe('judge view lines', () => {
  it('show the verdict with U, p, estimate and interval, and both cohorts\' histograms and boxes', async () => {
    const { judgeLines } = await import('../../src/judge/view.js');
    const d = classify({ values: around(120), series: 3 }, { values: around(100), series: 3 }, opts);
    const lines = judgeLines({ kind: 'compare', detail: d });
    expect(lines.map((l) => l.label)).toEqual(['judge', 'canary', 'baseline']);
    expect(lines[0]!.text).toMatch(/^high · U \d+ · p < 0\.001 · HL \+[\d.]+ \[[\d.]+, [\d.]+\] 95% · effect ×1\.2\d\d \(allowed ×1\.1, increase\)$/);
    expect(lines[1]!.text).toMatch(/^[▁▂▃▄▅▆▇█ ]{12} [\d.]+ \|[\d.]+ [\d.]+ [\d.]+\| [\d.]+ · n 40 from 3 series · v="2"$/);
    expect(judgeLines({ kind: 'compare', detail: d }, { ascii: true })[1]!.text).not.toMatch(/[▁▂▃▄▅▆▇█]/);
    expect(judgeLines(undefined)).toEqual([]);
  });
});
