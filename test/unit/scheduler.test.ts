import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { phaseAt, Scheduler } from '../../src/engine/scheduler.js';
import type { PlanInput } from '../../src/plan/schema.js';
import { FakeProm, makeEngine, PROM } from '../helpers/engine-fakes.js';

const Q = 'error_ratio';
const SEED_002_POLLING = { window: '60m', phases: [{ for: '5m', every: '30s' }, { every: '2m' }], hot: '5s', jitter: 0 };

function plan(gate: Record<string, unknown> = { id: 'g', query: Q, fail: '> 0.05', warn: '> 0.03', for: '10m' }): PlanInput {
  return { service: 'dhash', prometheus: PROM, polling: SEED_002_POLLING, stages: [{ id: 'canary', gates: [gate] }, { id: 'full' }] } as PlanInput;
}

/** Runs the scheduler over `ms` of fake time and returns the poll start times, relative to the start. */
async function pollTimes(h: ReturnType<typeof makeEngine>, ms: number, step = 1_000) {
  const starts: number[] = [];
  const t0 = h.clock.now();
  h.engine.on((e) => {
    if (e.type === 'poll.started') starts.push(e.at - t0);
  });
  const s = new Scheduler(h.engine, h.clock, { random: () => 0.5 });
  s.start();
  for (let t = 0; t < ms; t += step) await h.clock.advance(step);
  s.stop();
  return { starts, scheduler: s };
}

describe('phases', () => {
  it('picks the phase by elapsed time', () => {
    const phases = [{ for: 300_000, every: 30_000 }, { every: 120_000 }];
    expect(phaseAt(phases, 0)).toBe(0);
    expect(phaseAt(phases, 299_999)).toBe(0);
    expect(phaseAt(phases, 300_000)).toBe(1);
    expect(phaseAt(phases, 10 * 3_600_000)).toBe(1);
  });

  it('seed 002: 30 s for 5 minutes, then every 2 minutes, over a 60-minute window in fake time', async () => {
    const prom = new FakeProm().set(Q, 0.01);
    const h = makeEngine(plan(), { prom });
    const wall = performance.now();
    const { starts } = await pollTimes(h, 60 * 60_000, 10_000);
    expect(performance.now() - wall).toBeLessThan(10_000);
    const first = starts.filter((t) => t < 300_000);
    expect(first).toEqual([0, 30_000, 60_000, 90_000, 120_000, 150_000, 180_000, 210_000, 240_000, 270_000]);
    const later = starts.filter((t) => t >= 300_000);
    // After the 5-minute phase, 2-minute gaps: 60 min -> 10 fast + 28 slow polls (300 s .. 3540 s)
    expect(later[0]).toBe(300_000);
    for (let i = 1; i < later.length; i++) expect(later[i]! - later[i - 1]!).toBe(120_000);
    expect(starts.length).toBe(10 + 28);
    const done = h.engine.getState().events.filter((e) => e.type === 'window.completed');
    expect(done).toHaveLength(0); // last poll at 59 min: the window closes at the next poll
  });

  it('a promote (stage entered) starts the fast phase again', async () => {
    const prom = new FakeProm().set(Q, 0.01);
    const h = makeEngine(plan(), { prom });
    const starts: number[] = [];
    const t0 = h.clock.now();
    h.engine.on((e) => e.type === 'poll.started' && starts.push(e.at - t0));
    const s = new Scheduler(h.engine, h.clock, { random: () => 0.5 });
    s.start();
    await h.clock.advance(20 * 60_000);
    h.engine.dispatch({ type: 'entered-stage', index: 1, by: 'promote' });
    for (let i = 0; i < 70; i++) await h.clock.advance(1_000);
    s.stop();
    const after = starts.filter((t) => t >= 20 * 60_000);
    expect(after.slice(0, 3)).toEqual([1_200_000, 1_230_000, 1_260_000]);
  });
});

describe('hot polling', () => {
  it('polls at the hot interval while a gate is pending or in its warn band, and slows down after', async () => {
    const prom = new FakeProm();
    let value = 0.01;
    prom.set(Q, () => value);
    const h = makeEngine(plan(), { prom });
    const starts: number[] = [];
    const t0 = h.clock.now();
    h.engine.on((e) => e.type === 'poll.started' && starts.push(e.at - t0));
    const s = new Scheduler(h.engine, h.clock, { random: () => 0.5 });
    s.start();
    await h.clock.advance(1_000);
    value = 0.04; // warn band
    await h.clock.advance(30_000); // poll at 30 s sees warn
    for (let i = 0; i < 20; i++) await h.clock.advance(1_000);
    expect(h.engine.getState().polling).toMatchObject({ hot: true, intervalMs: 5_000 });
    value = 0.01;
    for (let i = 0; i < 60; i++) await h.clock.advance(1_000);
    s.stop();
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    expect(gaps).toContain(5_000);
    expect(gaps.at(-1)).toBe(30_000);
    const changes = h.engine.getState().events.filter((e) => e.type === 'polling.changed');
    expect(changes.map((e) => e.type === 'polling.changed' && e.hot)).toEqual([true, false]);
  });
});

describe('no overlap, manual refresh', () => {
  it('never starts a poll while one is running, even when polls are slower than the interval', async () => {
    const clock = new ManualClock();
    const prom = new FakeProm();
    let inFlight = 0;
    let maxInFlight = 0;
    const slowQuery = prom.query.bind(prom);
    prom.query = async (expr, opts) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await clock.sleep(45_000); // slower than the 30 s phase
      inFlight--;
      return slowQuery(expr, opts);
    };
    prom.set(Q, 0.01);
    const h = makeEngine(plan(), { prom, clock });
    const { starts } = await pollTimes(h, 5 * 60_000);
    expect(maxInFlight).toBe(1);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(45_000);
  });

  it('a manual refresh polls now, and one asked during a poll runs right after it', async () => {
    const clock = new ManualClock();
    const prom = new FakeProm().set(Q, 0.01);
    const h = makeEngine(plan(), { prom, clock });
    const starts: Array<[number, string]> = [];
    const t0 = clock.now();
    h.engine.on((e) => e.type === 'poll.started' && starts.push([e.at - t0, e.reason]));
    const s = new Scheduler(h.engine, clock, { random: () => 0.5 });
    s.start();
    await clock.advance(10_000);
    s.refresh();
    await clock.advance(1_000);
    s.stop();
    expect(starts).toEqual([
      [0, 'start'],
      [10_000, 'manual'],
    ]);
    expect(h.engine.getState().polling.nextPollAt).toBe(t0 + 40_000);
  });

  it('applies jitter within the plan bound', async () => {
    const prom = new FakeProm().set(Q, 0.01);
    const h = makeEngine({ ...plan(), polling: { ...SEED_002_POLLING, jitter: 0.1 } }, { prom });
    const starts: number[] = [];
    const t0 = h.clock.now();
    h.engine.on((e) => e.type === 'poll.started' && starts.push(e.at - t0));
    const s = new Scheduler(h.engine, h.clock, { random: () => 1 });
    s.start();
    await h.clock.advance(100_000);
    s.stop();
    expect(starts.slice(0, 3)).toEqual([0, 33_000, 66_000]);
  });
});
