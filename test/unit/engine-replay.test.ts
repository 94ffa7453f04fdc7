import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { Engine } from '../../src/engine/engine.js';
import type { Observation } from '../../src/engine/types.js';
import { FakeProm, loaded, makeEngine, PROM } from '../helpers/engine-fakes.js';
import { PromError } from '../../src/sources/types.js';

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

  it('`for` counts the full breach: 40 s of breach says "for 40s", not `for` plus a step (issue 11)', async () => {
    const prom = new FakeProm();
    const h = makeEngine({ ...plan('6s'), polling: { phases: [{ every: '2s' }], hot: '1s' } }, { prom });
    const now = h.clock.now();
    prom.set('q', (t) => ((t ?? now) >= now - 40_000 ? 0.09 : 0.01));
    await h.engine.backfill();
    await h.engine.poll('start');
    const g = h.engine.getState().gates[0]!;
    expect(g.state).toBe('failing');
    expect(g.breachSince).toBe(now - 40_000);
    expect(g.why).toMatch(/> 0\.05 for 40s/);
  });

  it('watch rebuilds `for` from history on start: opened mid-breach, a rollback gate fails and asks for its rollback at the first poll', async () => {
    const prom = new FakeProm();
    const p = plan('5m');
    p.stages[0]!.gates[0] = { ...p.stages[0]!.gates[0]!, onFail: 'rollback' } as (typeof p.stages)[0]['gates'][0];
    const h = makeEngine({ ...p, stages: [{ ...p.stages[0]!, rollback: { run: ['./rb.sh'] } }] }, { prom, backfillOnStart: true });
    const now = h.clock.now();
    prom.set('q', (t) => ((t ?? now) >= now - 8 * 60_000 ? 0.09 : 0.01));
    await h.engine.poll('start');
    const st = h.engine.getState();
    expect(st.gates[0]).toMatchObject({ state: 'failing', breachSince: now - 8 * 60_000 });
    expect(st.events.filter((e) => e.type === 'gate.changed').map((e) => e.type === 'gate.changed' && `${e.from}->${e.to}`)).toEqual(['no data->failing']);
    expect(st.events.filter((e) => e.type === 'rollback.requested')).toHaveLength(1);
    // Once: a second poll does not replay history again.
    const ranges = prom.queries.length;
    await h.engine.poll();
    expect(prom.queries.length).toBe(ranges + 1);
  });

  it('one failed range query at start does not cost the history: the backfill asks again, and the gate opened mid-breach still fails at the first poll', async () => {
    let rangeCalls = 0;
    class BlipProm extends FakeProm {
      override async queryRange(expr: string, o: { start: number; end: number; stepMs: number }) {
        rangeCalls++;
        if (rangeCalls === 1) throw new PromError('timeout', 'Prometheus /api/v1/query_range: timed out after 5s');
        return super.queryRange(expr, o);
      }
    }
    const prom = new BlipProm();
    const p = plan('5m');
    const h = makeEngine(p, { prom, backfillOnStart: true });
    const now = h.clock.now();
    prom.set('q', (t) => ((t ?? now) >= now - 8 * 60_000 ? 0.09 : 0.01));
    await h.engine.poll('start');
    expect(rangeCalls).toBe(2);
    expect(h.engine.getState().gates[0]).toMatchObject({ state: 'failing', breachSince: now - 8 * 60_000 });
  });

  it('the history a watch rebuilt on start is in its first observation: a recording replays to the same failing gate and rollback', async () => {
    const prom = new FakeProm();
    const input = { ...plan('5m'), stages: [{ id: 'canary', gates: [{ id: 'err', query: 'q', fail: '> 0.05', for: '5m', onFail: 'rollback' as const }], rollback: { run: ['./rb.sh'] } }] };
    const live = makeEngine(input, { prom, backfillOnStart: true });
    const now = live.clock.now();
    prom.set('q', (t) => ((t ?? now) >= now - 8 * 60_000 ? 0.09 : 0.01));
    const recorded: Observation[] = [];
    for (let i = 0; i < 2; i++) {
      const obs = await live.engine.collect();
      recorded.push(structuredClone(obs));
      live.engine.apply(obs);
      await live.clock.advance(30_000);
    }
    expect(recorded[0]!.backfill?.err?.length).toBeGreaterThan(10);
    expect(recorded[1]!.backfill).toBeUndefined();
    const clock = new ManualClock(live.engine.windowStart);
    const replay = new Engine({ loaded: loaded(input), clock, prometheus: null, nodes: null, readFile: async () => '', runCommand: async () => ({ exitCode: 0, timedOut: false, durationMs: 0, tail: '' }) });
    for (const obs of recorded) {
      await clock.advanceTo(obs.at);
      replay.apply(obs);
    }
    const strip = (e: Engine) => e.getState().events.filter((x) => x.type !== 'poll.done').map((x) => JSON.stringify(x));
    expect(strip(replay)).toEqual(strip(live.engine));
    expect(replay.getState().gates[0]).toMatchObject({ state: 'failing', breachSince: now - 8 * 60_000 });
    expect(replay.getState().events.filter((e) => e.type === 'rollback.requested')).toHaveLength(1);
  });
});
