import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { Engine } from '../../src/engine/engine.js';
import type { Observation } from '../../src/engine/types.js';
import { FakeProm, loaded, makeEngine, PROM } from '../helpers/engine-fakes.js';

describe('observations', () => {
  it('applying recorded observations to a fresh engine reproduces the same gate states and events', async () => {
    const plan = {
      service: 'svc',
      prometheus: PROM,
      nodes: [{ name: 'web-1', url: 'http://127.0.0.1:1' }],
      stages: [{ id: 'canary', gates: [{ id: 'err', query: 'q', fail: '> 0.05', for: '1m', onFail: 'rollback' as const }, { id: 'health', health: { consecutiveFailures: 2 } }], rollback: { run: ['./rb.sh'] } }],
    };
    const prom = new FakeProm();
    const live = makeEngine(plan, { prom });
    const recorded: Observation[] = [];
    const values = [0.01, 0.07, 0.07, 0.07, 0.02];
    for (const [i, v] of values.entries()) {
      prom.set('q', v);
      if (i === 2) live.nodes.failing.add('web-1');
      live.engine.emit({ type: 'poll.started', reason: 'schedule' });
      const obs = await live.engine.collect();
      recorded.push(structuredClone(obs));
      live.engine.apply(obs);
      await live.clock.advance(30_000);
    }
    const clock = new ManualClock(live.engine.windowStart);
    const replay = new Engine({ loaded: loaded(plan), clock, prometheus: null, nodes: null, readFile: async () => '', runCommand: async () => ({ exitCode: 0, timedOut: false, durationMs: 0, tail: '' }) });
    for (const obs of recorded) {
      await clock.advanceTo(obs.startedAt);
      replay.emit({ type: 'poll.started', reason: obs.reason });
      await clock.advanceTo(obs.at);
      replay.apply(obs);
    }
    const strip = (e: Engine) => e.getState().events.filter((x) => x.type !== 'poll.done').map((x) => JSON.stringify(x));
    expect(strip(replay)).toEqual(strip(live.engine));
    expect(replay.getState().gates.map((g) => g.history.map((s) => s.state))).toEqual(live.engine.getState().gates.map((g) => g.history.map((s) => s.state)));
    expect(live.engine.getState().events.some((e) => e.type === 'rollback.requested')).toBe(true);
  });
});

describe('backfill for one-shot checks', () => {
  const plan = (f: string) => ({
    service: 'svc',
    prometheus: PROM,
    polling: { phases: [{ every: '30s' }], hot: '5s' },
    stages: [{ id: 'canary', gates: [{ id: 'err', query: 'q', fail: '> 0.05', for: f }] }],
  });

  it('a breach that has held longer than `for` is failing in a single check', async () => {
    const prom = new FakeProm().set('q', 0.09);
    const h = makeEngine(plan('2m'), { prom });
    await h.engine.backfill();
    await h.engine.poll('start');
    expect(h.engine.getState().gates[0]!.state).toBe('failing');
  });

  it('a breach that started recently is only pending', async () => {
    const prom = new FakeProm();
    const h = makeEngine(plan('2m'), { prom });
    const now = h.clock.now();
    prom.set('q', (t) => ((t ?? now) >= now - 40_000 ? 0.09 : 0.01));
    await h.engine.backfill();
    await h.engine.poll('start');
    const g = h.engine.getState().gates[0]!;
    expect(g.state).toBe('pending');
    expect(g.failsIn?.ms).toBeGreaterThan(60_000);
  });
});
