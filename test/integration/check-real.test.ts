/**
 * `flightdeck check` end to end: the built binary, a real Prometheus (Debian's
 * package) scraping the simulated fleet on 127.0.0.1.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Fleet } from '../../src/simulator/index.js';
import { ERROR_RATE, startLiveFleet, type LiveFleet } from '../helpers/live-fleet.js';
import { flightdeck } from '../helpers/cli.js';
import { freePort, queryValue, waitFor, type RunningPrometheus } from '../helpers/prometheus.js';


let live: LiveFleet;
let fleet: Fleet;
let prom: RunningPrometheus;
let dir: string;

const promValue = (expr: string) => queryValue(prom.url, expr);

async function writePlan(name: string, gates: unknown[], prometheusUrl = prom.url): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(
    file,
    stringify({
      service: 'dhash',
      prometheus: { url: prometheusUrl, timeout: '2s' },
      nodes: fleet.planNodes(),
      polling: { window: '60m', phases: [{ every: '2s' }], hot: '1s' },
      stages: [{ id: 'canary-10', gates, rollback: { run: ['true'] } }, { id: 'full' }],
    }),
  );
  return file;
}

const errorGate = { id: 'error-rate', query: ERROR_RATE, fail: '> 0.05', warn: '> 0.03', for: '6s', onFail: 'rollback' };
const healthGate = { id: 'health', health: { consecutiveFailures: 1 }, onFail: 'rollback' };
const poolGate = { id: 'pool-saturation', healthField: 'database_pool.state.saturation', fail: '>= 0.90', forProbes: 3 };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-check-'));
  live = await startLiveFleet({ nodes: 4, seed: 7 });
  ({ fleet, prom } = live);
}, 60_000);

afterAll(async () => {
  await live?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('flightdeck check against a real Prometheus and the simulated fleet', () => {
  it('exits 0 on a healthy fleet and prints every gate ok', async () => {
    const plan = await writePlan('healthy', [errorGate, healthGate, poolGate]);
    const r = await flightdeck(['check', plan]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/error-rate\s+ok/);
    expect(r.stdout).toMatch(/health\s+ok/);
    expect(r.stdout).toMatch(/pool-saturation\s+ok/);
    expect(r.stdout).toMatch(/verdict: PASS \(exit 0\)/);
  });

  it('a gate on a metric that does not exist is "no data", never ok, and blocks (exit 1)', async () => {
    const plan = await writePlan('missing', [{ id: 'ghost', query: 'sum(rate(no_such_metric_total[1m]))', fail: '> 0' }]);
    const r = await flightdeck(['check', plan, '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.gates[0]).toMatchObject({ id: 'ghost', state: 'no data', blocks: true });
    expect(out.verdict).toBe('fail');
  });

  it('exits 2 with a clear message when Prometheus is down', async () => {
    const port = await freePort();
    const plan = await writePlan('down', [errorGate], `http://127.0.0.1:${port}`);
    const r = await flightdeck(['check', plan]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/Prometheus \/api\/v1\/alerts: .* is unreachable \(ECONNREFUSED\)/);
    expect(r.stdout).toMatch(/error-rate\s+error/);
    // The gate names what failed: its query was not sent, because /api/v1/alerts was unreachable.
    const json = JSON.parse((await flightdeck(['check', plan, '--json'])).stdout);
    expect(json.gates[0].why).toMatch(/^query not sent: Prometheus is down \(Prometheus \/api\/v1\/alerts: /);
  });

  it('check --json on a plan that does not load still prints a JSON document with errors[] (exit 2)', async () => {
    const file = join(dir, 'broken.yaml');
    await writeFile(file, 'service: x\nstages:\n  - id: a\n    gates:\n      - { id: g, query: "up", fail: "about 3" }\n');
    const r = await flightdeck(['check', file, '--json']);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ verdict: 'could not evaluate', exitCode: 2, gates: [], promotable: false });
    // Every problem in one pass (the missing prometheus: is reported beside the bad threshold).
    const fail = out.errors.find((e: { path: string }) => e.path === 'stages[0].gates[0].fail');
    expect(fail).toMatchObject({ line: 5, path: 'stages[0].gates[0].fail' });
    expect(fail.text).toMatch(/broken\.yaml:5:\d+ stages\[0\]\.gates\[0\]\.fail: /);
  });

  it('after an error-rate fault holds longer than `for`, exits 1 naming the gate with its value', async () => {
    const plan = await writePlan('fault', [errorGate, healthGate]);
    await fleet.setFault('all', { errorRate: 0.3 });
    try {
      // Wait until Prometheus itself sees the breach, then for longer than the gate's `for` (6 s).
      await waitFor(async () => ((await promValue(ERROR_RATE)) ?? 0) > 0.05, { timeoutMs: 30_000, what: 'the breach to show in Prometheus' });
      const seen = Date.now();
      const early = await flightdeck(['check', plan, '--json']);
      const earlyGate = JSON.parse(early.stdout).gates.find((g: { id: string }) => g.id === 'error-rate');
      expect(['pending', 'failing']).toContain(earlyGate.state);
      expect(early.code).toBe(1);
      await new Promise((r) => setTimeout(r, 11_000));
      const asked = Date.now();
      const r = await flightdeck(['check', plan, '--json']);
      expect(r.code).toBe(1);
      const out = JSON.parse(r.stdout);
      const g = out.gates.find((x: { id: string }) => x.id === 'error-rate');
      expect(g.state).toBe('failing');
      expect(g.value).toBeGreaterThan(0.05);
      expect(g.why).toMatch(/> 0\.05 for \d+s/);
      // The history is read on a grid of the plan's interval (2 s): Prometheus saw the breach by `seen`, so the
      // first breaching step is at most one step later; that is as exact as a breach start from history can be.
      expect(g.breachSince).toBeLessThanOrEqual(seen + 2_000);
      const held = asked - (seen + 2_000);
      // `for` counts the full breach (at least the 11 s waited, less a step: more than 8 s), not "for 8s" (`for` plus a step).
      expect(Number(/for (\d+)s/.exec(g.why)![1])).toBeGreaterThanOrEqual(Math.floor(held / 1_000));
      expect(Number(/for (\d+)s/.exec(g.why)![1])).toBeGreaterThan(8);
      expect(out.reasons.join('\n')).toMatch(/error-rate failing/);
      const text = await flightdeck(['check', plan]);
      expect(text.stdout).toMatch(/error-rate\s+failing\s+0\.\d+/);
      expect(out.gates.find((x: { id: string }) => x.id === 'health').state).toBe('ok');
    } finally {
      await fleet.clearFaults();
    }
  }, 60_000);

  it('a node down fails a consecutiveFailures: 3 health gate in one run (check re-probes), and the field gate is no data for it', async () => {
    const plan = await writePlan('node-down-3', [{ id: 'health', health: { consecutiveFailures: 3 } }, poolGate]);
    await fleet.setFault([2], { down: true });
    try {
      const t0 = Date.now();
      const r = await flightdeck(['check', plan, '--json']);
      const took = Date.now() - t0;
      expect(r.code).toBe(1);
      const out = JSON.parse(r.stdout);
      const down = fleet.nodes[2]!.name;
      expect(out.gates.find((g: { id: string }) => g.id === 'health')).toMatchObject({ state: 'failing', value: 1 });
      expect(out.nodes.find((n: { name: string }) => n.name === down)).toMatchObject({ up: false, consecutiveFailures: 3 });
      const pool = out.gates.find((g: { id: string }) => g.id === 'pool-saturation');
      expect(pool).toMatchObject({ state: 'no data', blocks: true, value: null });
      expect(pool.why).toContain(down);
      // Two re-probes at the plan's hot interval (1 s): seconds, not a poll interval.
      expect(took).toBeLessThan(15_000);
    } finally {
      await fleet.clearFaults();
    }
  });

  it('a down node fails the health gate', async () => {
    const plan = await writePlan('node-down', [healthGate]);
    await fleet.setFault([1], { down: true });
    try {
      const r = await flightdeck(['check', plan, '--json']);
      expect(r.code).toBe(1);
      const out = JSON.parse(r.stdout);
      expect(out.gates[0]).toMatchObject({ id: 'health', state: 'failing', value: 1 });
      expect(out.nodes.find((n: { name: string }) => n.name === fleet.nodes[1]!.name).up).toBe(false);
    } finally {
      await fleet.clearFaults();
    }
  });
});
