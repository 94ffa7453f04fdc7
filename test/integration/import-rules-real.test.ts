/**
 * The plan `flightdeck import prometheus-rules` writes from seed 003's rules
 * runs against a REAL Prometheus scraping the simulated fleet: every gate's
 * PromQL (the split ones and the counted `== 0` one) evaluates to a value,
 * and a node going down makes ServiceDown's gate pending (its for: 1m).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../src/cli/check.js';
import { importToText } from '../../src/import/cli.js';
import { loadPlan } from '../../src/plan/load.js';
import { startLiveFleet, type LiveFleet } from '../helpers/live-fleet.js';
import { queryValue, waitFor } from '../helpers/prometheus.js';

let live: LiveFleet;
let dir: string;
let planFile: string;

beforeAll(async () => {
  live = await startLiveFleet({ nodes: 3, seed: 3 });
  dir = await mkdtemp(join(tmpdir(), 'fd-import-rules-'));
  const { text } = await importToText('prometheus-rules', 'fixtures/prometheus-rules/seed-003.rules.yml', { service: 'instrument-registry', prometheusUrl: live.prom.url });
  // The fixture's rules name the scrape job "fleet"; the test Prometheus calls it "test".
  planFile = join(dir, 'imported.yaml');
  await writeFile(planFile, text.replaceAll('job="fleet"', 'job="test"'));
}, 60_000);

afterAll(async () => {
  await live?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('an imported rule file on a real Prometheus', () => {
  it('evaluates every gate, and a node down makes ServiceDown pending', async () => {
    const ok = await runCheck(await loadPlan(planFile), {});
    const byId = (o: typeof ok, id: string) => o.state.gates.find((g) => g.id === id)!;
    for (const id of ['service-down', 'high-error-rate', 'high-latency', 'dual-write-failure']) {
      expect(['ok', 'warn', 'pending', 'failing'], `${id}: ${byId(ok, id).state} ${byId(ok, id).why}`).toContain(byId(ok, id).state);
      expect(typeof byId(ok, id).value).toBe('number');
    }
    expect(byId(ok, 'service-down')).toMatchObject({ state: 'ok', value: 0 });

    await live.fleet.setFault([0], { down: true });
    await waitFor(async () => (await queryValue(live.prom.url, 'count(up{job="test"} == 0)')) === 1, { timeoutMs: 15_000, what: 'the down node seen by Prometheus' });
    const down = await runCheck(await loadPlan(planFile), {});
    expect(byId(down, 'service-down')).toMatchObject({ state: 'pending', value: 1 });
    expect(byId(down, 'service-down').why).toMatch(/1 > 0 for .* of 1m/);
    expect(down.exitCode).toBe(1);
  }, 60_000);
});
