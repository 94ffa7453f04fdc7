/**
 * `check` against a real Prometheus 2.42 (issue 11, "baselines that survive
 * restarts"): a relative threshold without `baseline:` is judged against the
 * value at the stage's entry, read from Prometheus history at the entry time
 * the rollout state keeps, never against the value being judged; with no
 * saved state there is no baseline and the gate is no data, never ok.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { judge, runCheck } from '../../src/cli/check.js';
import { runStateSet } from '../../src/cli/state.js';
import { loadPlan } from '../../src/plan/load.js';
import { startPrometheus, waitFor, queryValue, type RunningPrometheus } from '../helpers/prometheus.js';

let latency = 0.003;
let exporter: http.Server;
let prom: RunningPrometheus;
let dir: string;
let planFile: string;

beforeAll(async () => {
  exporter = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(`# TYPE validator_p99_seconds gauge\nvalidator_p99_seconds ${latency}\n`);
  });
  await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', r));
  prom = await startPrometheus({ targets: [`127.0.0.1:${(exporter.address() as AddressInfo).port}`] });
  dir = await mkdtemp(join(tmpdir(), 'fd-check-baseline-'));
  planFile = join(dir, 'seed-001.yaml');
  await writeFile(
    planFile,
    stringify({
      service: 'stage-validation',
      prometheus: { url: prom.url },
      stages: [{ id: 'warn', gates: [{ id: 'p99-latency', query: 'max(validator_p99_seconds)', fail: ['> 0.005', '> +10%'], onFail: 'block' }] }, { id: 'enforce' }],
    }),
  );
}, 60_000);
afterAll(async () => {
  await prom?.stop();
  await new Promise<void>((r) => (exporter ? exporter.close(() => r()) : r()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('check and a relative threshold without baseline:', () => {
  it('uses the value at the stage\'s entry from Prometheus history; with no saved state, no data', async () => {
    await waitFor(async () => ((await queryValue(prom.url, 'max(validator_p99_seconds)')) === 0.003 ? true : undefined), { timeoutMs: 30_000, what: 'the pre-deploy p99 in Prometheus' });
    await new Promise((r) => setTimeout(r, 2_000));
    const entered = Date.now() - 1_000; // the stage's entry, while p99 was 3 ms
    latency = 0.0045; // +50 % after the entry, still under the absolute 5 ms
    await waitFor(async () => ((await queryValue(prom.url, 'max(validator_p99_seconds)')) === 0.0045 ? true : undefined), { timeoutMs: 30_000, what: 'the degraded p99 in Prometheus' });
    const loaded = await loadPlan(planFile);

    const fresh = await runCheck(loaded, {});
    const g0 = fresh.state.gates[0]!;
    expect(g0).toMatchObject({ state: 'no data', value: 0.0045 });
    expect(g0.why).toMatch(/^no baseline yet: the stage's entry time is not known/);
    expect(fresh.exitCode).toBe(1);

    expect(await runStateSet(loaded, { stage: 'warn', reason: 'canary entered warn mode', enteredAt: String(entered) }, () => {}, { env: { SUDO_USER: 'ci' } })).toBe(0);
    const saved = await runCheck(loaded, {});
    const g = saved.state.gates[0]!;
    expect(g).toMatchObject({ state: 'failing', value: 0.0045, baseline: 0.003 });
    expect(g.why).toMatch(/> \+10%/);
    expect(saved.exitCode).toBe(1);
    expect(judge(saved.state).reasons[0]).toMatch(/^p99-latency failing/);
  }, 90_000);
});
