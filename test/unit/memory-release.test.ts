import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { createMemoryRelease, v8Gc, type GcFunction } from '../../src/cli/memory-release.js';
import { Scheduler } from '../../src/engine/scheduler.js';
import type { PlanInput } from '../../src/plan/schema.js';
import { FakeProm, makeEngine, PROM } from '../helpers/engine-fakes.js';

const MB = 1024 * 1024;

function harness(o: { rssMB?: number } = {}) {
  const clock = new ManualClock();
  const calls: Array<{ at: number; opts: unknown }> = [];
  let rss = (o.rssMB ?? 300) * MB;
  const gc: GcFunction = (opts) => {
    calls.push({ at: clock.now(), opts });
    rss = 100 * MB;
  };
  const release = createMemoryRelease({ clock, gc: () => gc, rss: () => rss });
  return { clock, calls, release, setRss: (mb: number) => (rss = mb * MB) };
}

describe('memory release between polls', () => {
  it('runs a memory-reducing GC a second after a poll whose next is far away, then not again for 10 minutes', async () => {
    const h = harness();
    const t0 = h.clock.now();
    h.release.idle(30_000);
    expect(h.calls).toHaveLength(0);
    await h.clock.advance(1_000);
    expect(h.calls).toEqual([{ at: t0 + 1_000, opts: { type: 'major', flavor: 'last-resort' } }]);
    // Over budget again at every later poll, 30 s apart (polls end at 30 s, 60 s, ...): the next release
    // waits for 10 minutes since the last to pass: the poll at 600 s is 599 s after it, the one at 630 s is not.
    for (let i = 1; i <= 25; i++) {
      h.setRss(300);
      await h.clock.advance(29_000);
      h.release.idle(30_000);
      await h.clock.advance(1_000);
    }
    expect(h.calls.map((c) => (c.at - t0) / 1_000)).toEqual([1, 631]);
    expect(h.release.runs).toBe(h.calls.length);
  });

  it('does nothing when the next poll is near, or the process is under its budget', async () => {
    const h = harness();
    h.release.idle(5_000);
    h.release.idle(20_999);
    await h.clock.advance(60_000);
    expect(h.calls).toHaveLength(0);
    h.setRss(120);
    h.release.idle(120_000);
    await h.clock.advance(60_000);
    expect(h.calls).toHaveLength(0);
    h.setRss(129);
    h.release.idle(120_000);
    await h.clock.advance(1_000);
    expect(h.calls).toHaveLength(1);
  });

  it('closing cancels a release not yet run', async () => {
    const h = harness();
    h.release.idle(60_000);
    h.release.close();
    await h.clock.advance(5_000);
    h.release.idle(60_000);
    await h.clock.advance(5_000);
    expect(h.calls).toHaveLength(0);
  });

  it("the scheduler says how far away each next poll is (seed 002's 30 s, then 2 min)", async () => {
    const plan = {
      service: 'dhash',
      prometheus: PROM,
      polling: { window: '60m', phases: [{ for: '1m', every: '30s' }, { every: '2m' }], hot: '5s', jitter: 0 },
      stages: [{ id: 'canary', gates: [{ id: 'g', query: 'error_ratio', fail: '> 0.05' }] }, { id: 'full' }],
    } as PlanInput;
    const h = makeEngine(plan, { prom: new FakeProm().set('error_ratio', 0.01) });
    const gaps: number[] = [];
    const s = new Scheduler(h.engine, h.clock, { random: () => 0.5, onIdle: (ms) => gaps.push(ms) });
    s.start();
    for (let t = 0; t < 5 * 60_000; t += 1_000) await h.clock.advance(1_000);
    s.stop();
    expect(gaps.slice(0, 4)).toEqual([30_000, 30_000, 120_000, 120_000]);
  });

  it("V8's own collector is reachable without --expose-gc, and without a global gc", () => {
    const gc = v8Gc();
    expect(typeof gc).toBe('function');
    expect(() => gc({ type: 'major', flavor: 'last-resort' })).not.toThrow();
    expect(v8Gc()).toBe(gc);
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });
});
