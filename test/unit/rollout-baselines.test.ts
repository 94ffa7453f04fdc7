/**
 * First-value baselines of relative thresholds ("> +10%" without `baseline:`,
 * seed 001's p99): captured once per stage entry, kept in the rollout state,
 * reused by a restarted process; a one-shot check uses the saved one or the
 * value at the stage's entry from Prometheus history; with neither the gate
 * is `no data` ("no baseline yet"), never ok.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { keeperFor, restoredFrom } from '../../src/cli/open-session.js';
import { Engine, type EngineDeps } from '../../src/engine/engine.js';
import { planSchema } from '../../src/plan/schema.js';
import { Session } from '../../src/session/session.js';
import { fileStore } from '../../src/store/files.js';
import { FakeProm, PROM } from '../helpers/engine-fakes.js';

const MIN = 60_000;
const P99 = 'histogram_quantile(0.99, sum by (le) (rate(validator_latency_seconds_bucket[5m])))';
const T0 = Date.parse('2026-03-01T14:00:00Z');
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-baseline-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Seed 001's p99 gate: at most 5 ms and within +10 % of the baseline, plan-wide, rollback. */
function loadedPlan() {
  const plan = planSchema.parse({
    service: 'stage-validation',
    prometheus: PROM,
    polling: { window: '60m', phases: [{ every: '30s' }], hot: '5s', jitter: 0 },
    gates: [{ id: 'p99-latency', query: P99, fail: ['> 0.005', '> +10%'], onFail: 'rollback' }],
    stages: [{ id: 'warn', gates: [{ id: 'p99-stage', query: P99, fail: '> +10%', onFail: 'block' }] }, { id: 'enforce' }],
  });
  return { plan, file: join(dir, 'seed-001.yaml'), dir };
}

function engineOn(prom: FakeProm, clock: ManualClock, restore: Partial<EngineDeps> = {}) {
  return new Engine({ loaded: loadedPlan(), clock, prometheus: prom, nodes: null, readFile: async () => '', runCommand: async () => ({ exitCode: 0, timedOut: false, durationMs: 0, tail: '' }), ...restore });
}

const gate = (e: Engine, id: string) => e.getState().gates.find((g) => g.id === id)!;

describe('first-value baselines survive restarts', () => {
  it('a restart mid-incident keeps the pre-incident baseline (saved in the rollout state) instead of re-baselining on the degraded value', async () => {
    let p99 = 0.003;
    const prom = new FakeProm().set(P99, () => p99);
    const clock = new ManualClock(T0);
    const loaded = loadedPlan();
    const store = fileStore(loaded);
    const open = async () => {
      const state = await store.state.read();
      const engine = engineOn(prom, clock, restoredFrom(state));
      const session = new Session({ loaded, runtime: { engine, clock, close: async () => {} }, env: {}, operator: { user: 'alice', host: 'bastion' }, readonly: true, dryRun: false, autoRollback: false, rollout: keeperFor(store, engine, loaded, state) });
      session.begin();
      return { engine, session };
    };
    const first = await open();
    await first.engine.poll();
    expect(gate(first.engine, 'p99-latency')).toMatchObject({ state: 'ok', baseline: 0.003 });
    await clock.advance(10 * MIN);
    p99 = 0.0045; // the incident: +50 %, still under the absolute 5 ms
    await first.engine.poll();
    expect(gate(first.engine, 'p99-latency').state).toBe('failing');
    await first.session.stop();
    const saved = JSON.parse(await readFile(store.state.location, 'utf8'));
    expect(saved.baselines).toEqual({
      '*/p99-latency': { value: 0.003, at: T0, source: 'first value' },
      'warn/p99-stage': { value: 0.003, at: T0, source: 'first value' },
    });

    await clock.advance(MIN); // the cockpit is restarted during the incident
    const second = await open();
    await second.engine.poll();
    await second.session.stop();
    expect(gate(second.engine, 'p99-latency')).toMatchObject({ state: 'failing', baseline: 0.003, value: 0.0045 });
    expect(gate(second.engine, 'p99-stage')).toMatchObject({ state: 'failing', baseline: 0.003 });
    expect(gate(second.engine, 'p99-latency').fail[1]).toBe('> +10% (0.0033)');
  });

  it('a promote captures new baselines for the new stage; the plan-wide gate keeps its own', async () => {
    let p99 = 0.003;
    const prom = new FakeProm().set(P99, () => p99);
    const clock = new ManualClock(T0);
    const engine = engineOn(prom, clock);
    await engine.poll();
    p99 = 0.0031;
    await clock.advance(MIN);
    engine.dispatch({ type: 'entered-stage', index: 1, by: 'promote' });
    await engine.poll();
    expect(engine.rolloutPosition().baselines).toEqual({ '*/p99-latency': { value: 0.003, at: T0, source: 'first value' } });
    expect(engine.rolloutPosition().stageId).toBe('enforce');
  });
});

describe('one evaluation (check) never takes the value it judges as its baseline', () => {
  it('without a saved baseline it uses the value at the stage\'s entry from Prometheus history', async () => {
    const entered = T0 - 40 * MIN;
    const prom = new FakeProm().set(P99, (time) => (time === entered ? 0.003 : 0.0045));
    const engine = engineOn(prom, new ManualClock(T0), { stageId: 'warn', stageEnteredAt: entered, oneShot: true });
    await engine.poll();
    expect(prom.queries.filter((q) => q.time === entered).map((q) => q.expr)).toEqual([P99, P99]);
    expect(gate(engine, 'p99-latency')).toMatchObject({ state: 'failing', baseline: 0.003, value: 0.0045 });
    expect(engine.rolloutPosition().baselines['*/p99-latency']).toEqual({ value: 0.003, at: entered, source: 'history' });
  });

  it('a saved baseline wins over history', async () => {
    const entered = T0 - 40 * MIN;
    const prom = new FakeProm().set(P99, (time) => (time === entered ? 0.001 : 0.0032));
    const engine = engineOn(prom, new ManualClock(T0), {
      stageId: 'warn',
      stageEnteredAt: entered,
      oneShot: true,
      baselines: { '*/p99-latency': { value: 0.003, at: entered + 30_000, source: 'first value' }, 'warn/p99-stage': { value: 0.003, at: entered + 30_000, source: 'first value' } },
    });
    await engine.poll();
    expect(prom.queries.some((q) => q.time === entered)).toBe(false);
    expect(gate(engine, 'p99-latency')).toMatchObject({ state: 'ok', baseline: 0.003 });
  });

  it('with neither a saved baseline nor history at the entry, the gate is no data ("no baseline yet"), never ok', async () => {
    const entered = T0 - 40 * MIN;
    const prom = new FakeProm().set(P99, (time) => (time === entered ? 'empty' : 0.003));
    const engine = engineOn(prom, new ManualClock(T0), { stageId: 'warn', stageEnteredAt: entered, oneShot: true });
    await engine.poll();
    const g = gate(engine, 'p99-stage');
    expect(g.state).toBe('no data');
    expect(g.why).toMatch(/^no baseline yet: Prometheus has no value of the query at the stage's entry \(2026-03-01T13:20:00.000Z\)/);
    expect(g.blocks).toBe(true);
    expect(engine.getState().stages[0]!.promotable).toBe(false);
  });

  it('with no known entry time (no saved state) there is no history to read: no data, and the current value is not taken', async () => {
    const prom = new FakeProm().set(P99, 0.003);
    const engine = engineOn(prom, new ManualClock(T0), { stageId: 'warn', oneShot: true });
    await engine.poll();
    await engine.poll();
    expect(gate(engine, 'p99-stage')).toMatchObject({ state: 'no data', why: expect.stringMatching(/^no baseline yet: the stage's entry time is not known/) });
    expect(prom.queries.every((q) => q.time === undefined)).toBe(true);
  });
});
