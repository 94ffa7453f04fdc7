/**
 * The compare gate against a REAL Prometheus scraping the simulated fleet:
 * twelve nodes in four cohorts of three — a baseline, and canaries whose
 * hash time is 5 %, 20 % and 0 % slower (each node of a cohort keeps its
 * baseline twin's spread). With an allowed effect of 1.10 the judge must say
 * pass, high, pass; the stage score then fails on the critical high one.
 * Runs through `runCheck` (the engine, the check registry, the range queries).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCheck } from '../../src/cli/check.js';
import { loadPlan } from '../../src/plan/load.js';
import { startFleet, type Fleet } from '../../src/simulator/index.js';
import { startPrometheus, waitFor, type RunningPrometheus } from '../helpers/prometheus.js';

let fleet: Fleet;
let prom: RunningPrometheus;
let dir: string;

const BASE_MS = 400;
const FACTORS = [1, 1.05, 1.2, 1];
const cohort = (g: number) => `{node=~"dhash-(${[1, 2, 3].map((k) => g * 3 + k).join('|')})"}`;
const MEAN_HASH = 'rate(dhash_hash_duration_seconds_sum{$cohort}[3s]) / rate(dhash_hash_duration_seconds_count{$cohort}[3s])';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-compare-'));
  fleet = await startFleet({ nodes: 12, seed: 7, profile: { requestRate: 200, errorRate: 0.001 } });
  // Cohort g, node k: 400 ms × (1 + 4 %·k) × FACTORS[g]. Set before the first scrape.
  for (let i = 0; i < 12; i++) await fleet.setFault([i], { hashP95Ms: BASE_MS * (1 + 0.04 * (i % 3)) * FACTORS[Math.floor(i / 3)]! });
  prom = await startPrometheus({ targets: [...fleet.targets], scrapeInterval: '1s' });
  // 3 s rates need 4 scrapes; the judged window is 12 s of them.
  await waitFor(async () => {
    const r = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(`count(${MEAN_HASH.replaceAll('{$cohort}', '')} > 0)`)}`);
    const body = (await r.json()) as { data?: { result: Array<{ value: [number, string] }> } };
    return Number(body.data?.result[0]?.value[1] ?? 0) === 12;
  }, { timeoutMs: 30_000, what: 'a mean hash time from all 12 nodes' });
  await new Promise((r) => setTimeout(r, 13_000));
}, 90_000);

afterAll(async () => {
  await prom?.stop();
  await fleet?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const compareGate = (id: string, g: number, extra: Record<string, unknown> = {}) => ({
  id,
  unit: 'seconds',
  compare: { query: MEAN_HASH, canary: cohort(g), baseline: cohort(0), direction: 'increase', allowedEffect: 1.1, window: '12s', step: '1s', ...extra },
  onFail: 'block',
});

describe('compare gate on a real Prometheus', () => {
  it('judges a 5 % slower canary pass, 20 % high, 0 % pass (allowed effect 1.10), and scores the stage', async () => {
    const file = join(dir, 'plan.yaml');
    await writeFile(
      file,
      stringify({
        service: 'dhash',
        prometheus: { url: prom.url, timeout: '5s' },
        polling: { window: '60m', phases: [{ every: '2s' }], hot: '1s' },
        stages: [
          {
            id: 'canary',
            gates: [
              compareGate('slower-5', 1),
              compareGate('slower-20', 2, { critical: true }),
              compareGate('same', 3),
              { id: 'canary-score', score: { pass: 95, marginal: 60 }, onFail: 'block' },
            ],
          },
        ],
      }),
    );
    const outcome = await runCheck(await loadPlan(file), {});
    const gate = (id: string) => outcome.state.gates.find((g) => g.id === id)!;
    const detail = (id: string) => {
      const j = gate(id).judge;
      if (j?.kind !== 'compare') throw new Error(`${id}: no compare detail (${gate(id).state}: ${gate(id).why})`);
      return j.detail;
    };

    const five = detail('slower-5');
    expect(five.classification, five.reason).toBe('pass');
    expect(five.pValue!).toBeLessThan(0.05); // a real difference, within the 10 % allowed
    expect(five.ratio!).toBeGreaterThan(1.03);
    expect(five.ratio!).toBeLessThan(1.07);
    expect(five.canary.series).toBe(3);
    expect(five.baseline.series).toBe(3);
    expect(five.canary.n).toBeGreaterThanOrEqual(30);
    expect(gate('slower-5').state).toBe('ok');

    const twenty = detail('slower-20');
    expect(twenty.classification, twenty.reason).toBe('high');
    expect(twenty.ratio!).toBeGreaterThan(1.17);
    expect(twenty.ratio!).toBeLessThan(1.23);
    expect(twenty.lower!).toBeGreaterThan(0);
    expect(twenty.estimate!).toBeGreaterThan(twenty.lower!);
    expect(twenty.canary.median!).toBeGreaterThan(twenty.baseline.median!);
    expect(gate('slower-20').state).toBe('failing');
    expect(gate('slower-20').why).toMatch(/high/);

    const same = detail('same');
    expect(same.classification, same.reason).toBe('pass');
    expect(Math.abs(same.ratio! - 1)).toBeLessThan(0.02);

    const score = gate('canary-score');
    expect(score.judge).toMatchObject({ kind: 'score', detail: { score: 0, verdict: 'fail' } });
    expect(score.state).toBe('failing');
    expect(outcome.exitCode).toBe(1);
  }, 60_000);

  it('says no data for a cohort that matches nothing, and the score does not pass', async () => {
    const file = join(dir, 'nodata.yaml');
    await writeFile(
      file,
      stringify({
        service: 'dhash',
        prometheus: { url: prom.url },
        stages: [{ id: 'canary', gates: [compareGate('ghost', 1, { canary: '{node="nope"}' }), compareGate('same', 3), { id: 'score', score: {} }] }],
      }),
    );
    const outcome = await runCheck(await loadPlan(file), {});
    const ghost = outcome.state.gates.find((g) => g.id === 'ghost')!;
    expect(ghost.state).toBe('no data');
    expect(ghost.why).toMatch(/no samples from the canary/);
    const score = outcome.state.gates.find((g) => g.id === 'score')!;
    expect(score.value).toBe(0);
    expect(score.state).toBe('failing');
  }, 60_000);
});
