/**
 * `flightdeck backtest` against a REAL Prometheus holding an hour of
 * synthetic history, written as OpenMetrics and turned into TSDB blocks by
 * promtool (Debian's prometheus package): a quiet baseline, a noisy but
 * healthy stretch (three spikes over the threshold, each longer than the
 * gate's for:), and two incidents. The backtest must count the noise's false
 * rollbacks, detect both incidents in one for: after they start, and
 * --suggest must remove the false rollbacks in its printed diff while still
 * detecting the incidents.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { flightdeck } from '../helpers/cli.js';
import { freePort, PROMETHEUS_BIN, waitFor } from '../helpers/prometheus.js';
import type { BacktestReport } from '../../src/backtest/cli.js';

const MIN = 60_000;
let dir: string;
let child: ChildProcess | undefined;
let url: string;
let t0: number;
let planFile: string;

/** The story, in minutes from t0. */
const SPIKES = [
  { from: 12, to: 13.5, value: 0.04 },
  { from: 17, to: 18.75, value: 0.045 },
  { from: 22, to: 23.5, value: 0.042 },
];
const INCIDENTS = [
  { from: 30, to: 36, value: 0.12 },
  { from: 46, to: 52, value: 0.08 },
];

function valueAt(m: number, i: number): number {
  for (const s of [...SPIKES, ...INCIDENTS]) if (m >= s.from && m < s.to) return s.value;
  return 0.01 + 0.002 * Math.sin(i * 0.7);
}

const at = (m: number) => new Date(t0 + m * MIN).toISOString();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-backtest-'));
  // An hour ending 10 minutes ago, on whole minutes; a sample every 15 s.
  t0 = Math.floor((Date.now() - 70 * MIN) / MIN) * MIN;
  const lines = ['# HELP checkout_error_ratio Share of requests failing', '# TYPE checkout_error_ratio gauge'];
  for (let i = 0; i <= 240; i++) {
    const m = i / 4;
    lines.push(`checkout_error_ratio{service="checkout"} ${valueAt(m, i)} ${(t0 + m * MIN) / 1000}`);
  }
  lines.push('# EOF', '');
  await writeFile(join(dir, 'history.om'), lines.join('\n'));
  const made = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'history.om'), join(dir, 'data')], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`promtool failed: ${made.stderr}`);

  await writeFile(join(dir, 'prometheus.yml'), stringify({ global: { scrape_interval: '15s' }, scrape_configs: [] }));
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  let output = '';
  child = spawn(PROMETHEUS_BIN, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, '--storage.tsdb.retention.time=30d', `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  await waitFor(
    async () => {
      const r = await fetch(`${url}/api/v1/query?query=${encodeURIComponent('checkout_error_ratio')}&time=${(t0 + 31 * MIN) / 1000}`).catch(() => undefined);
      if (!r?.ok) return false;
      const body = (await r.json()) as { data: { result: Array<{ value: [number, string] }> } };
      return body.data.result.length === 1 && Number(body.data.result[0]!.value[1]) === 0.12;
    },
    { timeoutMs: 30_000, what: `the backfilled history in Prometheus\n${output}` },
  );
  planFile = join(dir, 'plan.yaml');
  await writeFile(
    planFile,
    stringify({
      service: 'checkout',
      prometheus: { url },
      polling: { window: '60m', phases: [{ every: '30s' }] },
      stages: [
        {
          id: 'canary',
          gates: [
            { id: 'error-rate', query: 'max(checkout_error_ratio)', unit: 'ratio', fail: '> 0.03', for: '1m', onFail: 'rollback' },
            { id: 'health', health: { consecutiveFailures: 2 } },
          ],
          rollback: { run: ['true'] },
        },
      ],
      nodes: [{ name: 'web-1', url: 'http://127.0.0.1:9' }],
    }),
  );
}, 90_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const gone = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('backtest on a real Prometheus with an hour of history', () => {
  it('counts the noise\'s false rollbacks and detects both incidents in one for:', async () => {
    const res = await flightdeck(['backtest', planFile, '--from', at(0), '--to', at(60), '--good', `${at(0)}/${at(28)}`, '--bad', `${at(30)}/${at(37)}`, '--bad', `${at(46)}/${at(53)}`, '--chunk', '40', '--json']);
    expect(res.code, res.stderr).toBe(0);
    const r = JSON.parse(res.stdout) as BacktestReport;
    const g = r.gates.find((x) => x.gateId === 'error-rate')!;
    expect(g.evaluations).toBe(121);
    expect(g.rollbacks).toBe(5);
    expect(g.falseFailures).toBe(3);
    expect(g.episodes.map((e) => (e.failAt - t0) / MIN)).toEqual([13, 18, 23, 31, 47]);
    expect(g.detections.map((d) => d.ms)).toEqual([MIN, MIN]);
    // the longest breach is the first incident: 30:00 to 35:30
    expect(g.longestBreach).toEqual({ ms: 5.5 * MIN, from: t0 + 30 * MIN, to: t0 + 35.5 * MIN });
    expect(r.skipped).toEqual([{ gateId: 'health', why: 'health gates have no Prometheus history (a recording has their results)' }]);
    // 121 evaluations at 40 a range query: 4 chunks, each reported
    expect(res.stderr.match(/error-rate: \d\/4 chunk/g)).toHaveLength(4);
  }, 60_000);

  it('--suggest prints a plan diff whose threshold and for: remove the false rollbacks and still detect', async () => {
    const res = await flightdeck(['backtest', planFile, '--from', at(0), '--to', at(60), '--good', `${at(0)}/${at(28)}`, '--bad', `${at(30)}/${at(37)}`, '--bad', `${at(46)}/${at(53)}`, '--suggest']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/error-rate\s+canary\s+rollback\s+121\s+0\s+0\s+5\s+5\s+5\s/);
    expect(res.stdout).toContain(`--- ${planFile}`);
    expect(res.stdout).toContain('@@ stages[0].gates[0] error-rate (stage canary) @@');
    expect(res.stdout).toContain('-  fail: "> 0.03"');
    expect(res.stdout).toMatch(/\+ {2}fail: "> 0\.045" {4}# 0 false failure\(s\) in the good windows; bad windows detected in 1m, 1m/);
    expect(res.stdout).toContain('-  for: 1m');
    expect(res.stdout).toMatch(/\+ {2}for: 2m {4}# 0 false failure\(s\) in the good windows; bad windows detected in 2m, 2m/);
    // never applied
    expect(spawnSync('grep', ['-c', '0.045', planFile]).stdout.toString().trim()).toBe('0');
  }, 60_000);
});
