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
import { evaluationTimes } from '../../src/backtest/replay.js';
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
  });
});
