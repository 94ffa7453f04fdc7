/**
 * Backtest pieces that need no Prometheus: the evaluation schedule follows the
 * plan's polling phases, times and windows parse, and recordings replay
 * their recorded results through this plan's thresholds.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTime, parseWindow, runBacktest } from '../../src/backtest/cli.js';
import { evaluationTimes, promTrace, replayGate } from '../../src/backtest/replay.js';
import { PromError, type PromClient } from '../../src/sources/types.js';
import { parsePlanText } from '../../src/plan/load.js';
import { RECORDING_VERSION } from '../../src/record/format.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const PLAN = `
service: checkout
polling: { window: 60m, phases: [ { for: 2m, every: 30s }, { every: 1m } ] }
stages:
  - id: canary
    gates:
      - { id: errors, healthField: error_ratio, fail: "> 0.03", for: 1m, onFail: rollback }
    rollback: { run: ["true"] }
nodes: [ { name: web-1, url: "http://127.0.0.1:9" } ]
`;

describe('backtest schedule and input', () => {
  it('evaluates at the plan\'s polling phases from --from', () => {
    const plan = parsePlanText(PLAN, 'p.yaml', process.cwd()).plan;
    const times = evaluationTimes(plan, 0, 5 * 60_000).map((t) => t.at / 1000);
    expect(times).toEqual([0, 30, 60, 90, 120, 180, 240, 300]);
  });

  it('reads ISO, unix seconds, now-1h and FROM/TO windows', () => {
    const now = Date.parse('2026-11-29T12:00:00Z');
    expect(parseTime('now-1h', now)).toBe(now - 3_600_000);
    expect(parseTime('-90m', now)).toBe(now - 5_400_000);
    expect(parseTime('1700000000', now)).toBe(1_700_000_000_000);
    expect(parseTime('2026-11-29T11:00:00Z', now)).toBe(now - 3_600_000);
    expect(parseWindow('now-60m/now-30m', now)).toEqual({ start: now - 3_600_000, end: now - 1_800_000 });
    expect(() => parseWindow('now/now-1h', now)).toThrow(/ends before it starts/);
    expect(() => parseTime('yesterday', now)).toThrow(/not a time/);
  });

  it('replays a recording\'s results through the plan\'s thresholds (any gate kind)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fd-bt-'));
    dirs.push(dir);
    const t0 = Date.parse('2026-11-29T10:00:00Z');
    const values = [0.01, 0.05, 0.05, 0.05, 0.01, 0.01, 0.06, 0.06, 0.06, 0.06];
    const lines = [JSON.stringify({ kind: 'header', version: RECORDING_VERSION, planFile: 'p.yaml', planText: PLAN, startedAt: t0, windowStart: t0, stageIndex: 0 })];
    values.forEach((v, i) =>
      lines.push(JSON.stringify({ kind: 'obs', reason: 'schedule', startedAt: t0 + i * 30_000, at: t0 + i * 30_000, durationMs: 3, nodes: null, prom: null, results: { errors: { status: 'value', value: v } } })),
    );
    await writeFile(join(dir, 'rec.ndjson'), `${lines.join('\n')}\n`);
    await writeFile(join(dir, 'p.yaml'), PLAN);
    const loaded = parsePlanText(PLAN, join(dir, 'p.yaml'), dir);
    const r = await runBacktest(loaded, [join(dir, 'rec.ndjson')], { bad: [`${new Date(t0 + 180_000).toISOString()}/${new Date(t0 + 300_000).toISOString()}`], suggest: true }, () => undefined);
    const g = r.gates[0]!;
    expect(r.source).toBe('recording');
    expect(g.evaluations).toBe(10);
    expect(g.pending).toBe(2);
    // 0.05 from 30 s to 90 s: held 60 s at 90 s → failing; 0.06 from 180 s: failing at 240 s
    expect(g.episodes.map((e) => (e.failAt - t0) / 1000)).toEqual([90, 240]);
    expect(g.detections[0]!.ms).toBe(60_000);
    expect(r.suggestions![0]!.threshold?.fail).toBe('> 0.05');
  });
});

const gate = parsePlanText(`
service: checkout
prometheus: { url: "http://127.0.0.1:9" }
polling: { window: 60m, phases: [ { every: 1m } ] }
stages:
- id: canary
  gates:
    - { id: errors, query: "max(x)", fail: "> 0.03", onFail: rollback }
  rollback: { run: ["true"] }
`, 'p.yaml', process.cwd()).plan;
/** A Prometheus answering range queries by `answer(n)` (n from 1), counting them. */
const prom = (answer: (n: number) => number | PromError) => {
  const calls: Array<{ start: number; end: number }> = [];
  const client = {
    async queryRange(_q: string, o: { start: number; end: number; stepMs: number }) {
      calls.push({ start: o.start, end: o.end });
      const a = answer(calls.length);
      if (a instanceof PromError) throw a;
      const values = [];
      for (let t = o.start; t <= o.end; t += o.stepMs) values.push({ labels: {}, value: a, timestamp: t });
      return [{ labels: {}, values }];
    },
  };
  return { client: client as unknown as PromClient, calls };
};
const times = evaluationTimes(gate, 0, 29 * 60_000); // 30 evaluations, 3 chunks of 10

describe('backtest when Prometheus cannot answer', () => {
  it('counts every evaluation as an error, says so, and exits 2 — never a clean pass', async () => {
    const { freePort } = await import('../helpers/prometheus.js');
    const { backtestExitCode, formatBacktest } = await import('../../src/backtest/cli.js');
    const port = await freePort(); // nothing listens there
    const text = `
service: checkout
prometheus: { url: "http://127.0.0.1:${port}", timeout: 1s }
polling: { window: 60m, phases: [ { every: 5m } ] }
stages:
  - id: canary
    gates:
      - { id: errors, query: "max(x)", fail: "> 0.03" }
`;
    const loaded = parsePlanText(text, 'p.yaml', process.cwd());
    const r = await runBacktest(loaded, [], { from: '2026-11-29T10:00:00Z', to: '2026-11-29T10:30:00Z' }, () => undefined);
    expect(r.gates[0]).toMatchObject({ evaluations: 7, errors: 7, failing: 0 });
    expect(r.gates[0]!.firstError).toMatch(/127\.0\.0\.1/);
    expect(backtestExitCode(r)).toBe(2);
    expect(formatBacktest(r, 'p.yaml')).toMatch(/errors: 7 of 7 evaluations could not be made .* its counts are incomplete/);
  }, 20_000);


  it('asks a chunk again when Prometheus fails it once: a passing 503 costs no evaluation', async () => {
    const p = prom((n) => (n === 2 ? new PromError('unavailable', 'Prometheus /api/v1/query_range: 503 overloaded', 503) : 0.01));
    const trace = await promTrace(p.client, gate.stages[0]!.gates[0]!, times, { chunkPoints: 10, retryMs: 1 });
    expect(p.calls.map((c) => c.start / 60_000)).toEqual([0, 10, 10, 20]);
    expect(trace.filter(([, r]) => r.status === 'error')).toEqual([]);
    expect(trace).toHaveLength(30);
  });

  it('names the chunk that failed, asks the next ones once while Prometheus stays down, and never calls a hidden window missed', async () => {
    const p = prom((n) => (n >= 2 ? new PromError('unavailable', '503 overloaded', 503) : 0.01));
    const spec = gate.stages[0]!.gates[0]!;
    const trace = await promTrace(p.client, spec, times, { chunkPoints: 10, retryMs: 1 });
    expect(p.calls.map((c) => c.start / 60_000)).toEqual([0, 10, 10, 10, 20]);
    const errors = trace.filter(([, r]) => r.status === 'error');
    expect(errors).toHaveLength(20);
    expect(errors[0]![1]).toMatchObject({ reason: 'chunk 2 of 3, 1970-01-01T00:10:00Z – 1970-01-01T00:19:00Z, 3 attempts: 503 overloaded' });
    const g = replayGate({ spec, stageId: 'canary' }, trace, gate, { bad: [{ start: 15 * 60_000, end: 20 * 60_000 }, { start: 0, end: 5 * 60_000 }] });
    // Errors hid the first bad window: not known to be missed. The second was seen whole, and missed.
    expect(g.detections.map((d) => [d.ms, d.unknown ?? false])).toEqual([[null, true], [null, false]]);
    const { formatBacktest } = await import('../../src/backtest/cli.js');
    expect(formatBacktest({ source: 'prometheus', from: 0, to: 29 * 60_000, good: [], bad: [], gates: [g], skipped: [] }, 'p.yaml')).toMatch(/unknown \(errors\), missed/);
  });

  it('a query that errs for good (bad_data) is not asked again', async () => {
    const p = prom(() => new PromError('bad_data', 'parse error', 400));
    await promTrace(p.client, gate.stages[0]!.gates[0]!, times, { chunkPoints: 10, retryMs: 1 });
    expect(p.calls).toHaveLength(3);
  });
});

describe('backtest refuses what would mislead', () => {
  const loaded = () => parsePlanText(PLAN.replace('service: checkout', 'service: checkout\nprometheus: { url: "http://127.0.0.1:9" }'), 'p.yaml', process.cwd());
  it('--chunk and --budget that are not whole numbers in range (NaN made one range query per evaluation)', async () => {
    const run = (f: Record<string, string>) => runBacktest(loaded(), [], { from: 'now-1h', to: 'now', ...f }, () => undefined);
    await expect(run({ chunk: 'abc' })).rejects.toThrow('--chunk abc: expected a whole number from 1 to 11,000');
    await expect(run({ chunk: '0' })).rejects.toThrow(/--chunk 0/);
    await expect(run({ chunk: '20000' })).rejects.toThrow(/--chunk 20000/); // Prometheus refuses over 11,000 points
    await expect(run({ budget: 'x', suggest: 'true' as never })).rejects.toThrow('--budget x: expected a whole number from 0 to 1,000,000');
    await expect(run({ from: 'now', to: 'now-1h' })).rejects.toThrow('--to must be after --from');
  });

  it('a recording of another plan: an error naming what it holds, not an empty report that exits 0', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fd-bt-'));
    dirs.push(dir);
    const lines = [
      JSON.stringify({ kind: 'header', version: RECORDING_VERSION, planFile: 'other.yaml', planText: 'x', startedAt: 0, windowStart: 0, stageIndex: 0 }),
      JSON.stringify({ kind: 'obs', reason: 'schedule', startedAt: 0, at: 0, durationMs: 3, nodes: null, prom: null, results: { latency: { status: 'value', value: 1 } } }),
    ];
    await writeFile(join(dir, 'other.ndjson'), `${lines.join('\n')}\n`);
    await expect(runBacktest(loaded(), [join(dir, 'other.ndjson')], {}, () => undefined)).rejects.toThrow(
      `p.yaml's gates (errors) is in ${join(dir, 'other.ndjson')}: recorded from other.yaml with gates latency`,
    );
  });

  it('a window in which the query matched nothing tested nothing: said, and exit 2', async () => {
    const { backtestExitCode, formatBacktest } = await import('../../src/backtest/cli.js');
    const spec = gate.stages[0]!.gates[0]!;
    const g = replayGate({ spec, stageId: 'canary' }, times.map((t) => [t.at, { status: 'no data', reason: 'empty' }]), gate);
    const r = { source: 'prometheus' as const, from: 0, to: 29 * 60_000, good: [], bad: [], gates: [g], skipped: [] };
    expect(backtestExitCode(r)).toBe(2);
    expect(formatBacktest(r, 'p.yaml')).toContain('errors: no data at any of its 30 evaluations: its query matched nothing in this window, so nothing was tested');
  });
});
