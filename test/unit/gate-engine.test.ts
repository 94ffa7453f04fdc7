import { describe, expect, it } from 'vitest';
import { PromError } from '../../src/sources/types.js';
import { FakeProm, makeEngine, PROM } from '../helpers/engine-fakes.js';

const Q = 'sum(rate(errors[5m])) / sum(rate(requests[5m]))';

function onePlan(gate: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    service: 'svc',
    prometheus: PROM,
    stages: [{ id: 'canary', gates: [{ id: 'g', ...gate }], rollback: { run: ['./rb.sh'] } }],
    ...extra,
  };
}

async function evalSeries(gate: Record<string, unknown>, values: Array<number | 'empty' | PromError>, stepMs = 30_000, extra = {}) {
  const prom = new FakeProm();
  const h = makeEngine(onePlan(gate, extra), { prom });
  const states: string[] = [];
  for (const v of values) {
    prom.set(Q, v);
    await h.engine.poll();
    states.push(h.engine.getState().gates[0]!.state);
    await h.clock.advance(stepMs);
  }
  return { states, ...h };
}

describe('gate state machine: for (Prometheus semantics)', () => {
  it('goes pending on the first breach and failing once the breach has held for `for`', async () => {
    const { states } = await evalSeries({ query: Q, fail: '> 0.05', for: '2m' }, [0.01, 0.07, 0.07, 0.07, 0.07, 0.07]);
    // breach starts at t=30s; held 0,30,60,90,120s -> failing at the 5th breaching sample
    expect(states).toEqual(['ok', 'pending', 'pending', 'pending', 'pending', 'failing']);
  });

  it('one good sample resets the pending timer', async () => {
    const { states } = await evalSeries({ query: Q, fail: '> 0.05', for: '1m' }, [0.07, 0.07, 0.01, 0.07, 0.07, 0.07]);
    expect(states).toEqual(['pending', 'pending', 'ok', 'pending', 'pending', 'failing']);
  });

  it('no data in the middle of a breach does not reset it (issue 11; see gate-condition.test.ts)', async () => {
    const { states } = await evalSeries({ query: Q, fail: '> 0.05', for: '1m' }, [0.07, 0.07, 'empty', 0.07, 0.07]);
    expect(states).toEqual(['pending', 'pending', 'no data', 'failing', 'failing']);
  });

  it('exposes how long until a pending gate fails', async () => {
    const { engine } = await evalSeries({ query: Q, fail: '> 0.05', for: '10m' }, [0.07, 0.07]);
    const g = engine.getState().gates[0]!;
    expect(g.state).toBe('pending');
    expect(g.failsIn).toEqual({ ms: 9 * 60_000 + 30_000 });
    expect(g.why).toMatch(/0\.07 > 0\.05 for 30s of 10m/);
  });

  it('without `for` a breach fails at once', async () => {
    const { states } = await evalSeries({ query: Q, fail: '> 0.05' }, [0.01, 0.06]);
    expect(states).toEqual(['ok', 'failing']);
  });
});

describe('consecutive probes', () => {
  it('fails at the Nth consecutive breaching probe and resets on a good one', async () => {
    const { states, engine } = await evalSeries({ query: Q, fail: '>= 0.90', forProbes: 3 }, [0.95, 0.95, 0.5, 0.95, 0.95, 0.95]);
    expect(states).toEqual(['pending', 'pending', 'ok', 'pending', 'pending', 'failing']);
    expect(engine.getState().gates[0]!.consecutiveBreaches).toBe(3);
  });

  it('counts probes left while pending', async () => {
    const { engine } = await evalSeries({ query: Q, fail: '>= 0.90', forProbes: 3 }, [0.95]);
    expect(engine.getState().gates[0]!.failsIn).toEqual({ probes: 2 });
  });
});

describe('warn band', () => {
  it('is warn inside the band, ok below, failing above', async () => {
    const { states } = await evalSeries({ query: Q, fail: '> 0.05', warn: '> 0.03' }, [0.01, 0.04, 0.06, 0.02]);
    expect(states).toEqual(['ok', 'warn', 'failing', 'ok']);
  });
});

describe('no data is never a pass', () => {
  it('an empty vector is no data and blocks promotion', async () => {
    const { states, engine } = await evalSeries({ query: Q, fail: '> 0.05' }, ['empty']);
    expect(states).toEqual(['no data']);
    const st = engine.getState();
    expect(st.gates[0]!.blocks).toBe(true);
    expect(st.stages[0]!.promotable).toBe(false);
    expect(st.stages[0]!.blockers[0]).toMatchObject({ gateId: 'g', state: 'no data' });
  });

  it('an unreachable Prometheus is error on every Prometheus gate and blocks', async () => {
    const { states, engine } = await evalSeries({ query: Q, fail: '> 0.05' }, [new PromError('unreachable', 'connect ECONNREFUSED')]);
    expect(states).toEqual(['error']);
    expect(engine.getState().prometheus.status).toBe('up'); // alerts() answered; only the query failed
  });

  it('Prometheus down (alerts fail) marks it down and short-circuits the gates', async () => {
    const prom = new FakeProm();
    const h = makeEngine(onePlan({ query: Q, fail: '> 0.05' }), { prom });
    prom.down = new PromError('unreachable', 'connect ECONNREFUSED 127.0.0.1:9');
    await h.engine.poll();
    const st = h.engine.getState();
    expect(st.prometheus.status).toBe('down');
    expect(st.gates[0]!.state).toBe('error');
    expect(st.gates[0]!.why).toMatch(/ECONNREFUSED/);
    expect(prom.queries).toHaveLength(0);
    expect(st.events.some((e) => e.type === 'prometheus.down')).toBe(true);
  });

  it('NaN in every series is no data, never a pass', async () => {
    const { states, engine } = await evalSeries({ query: Q, fail: '> 0.05' }, [NaN]);
    expect(states).toEqual(['no data']);
    expect(engine.getState().gates[0]!.why).toMatch(/NaN/);
  });

  it('+Inf is an error naming it, not a value compared (issue 11: it was failing with a null value in the JSON)', async () => {
    const { states, engine } = await evalSeries({ query: Q, fail: '> 0.05' }, [Infinity]);
    expect(states).toEqual(['error']);
    expect(engine.getState().gates[0]!.why).toMatch(/\+Inf/);
  });

  it('noData: pass lets a no-data gate not block (but it still shows no data)', async () => {
    const { states, engine } = await evalSeries({ query: Q, fail: '> 0.05', noData: 'pass' }, ['empty']);
    expect(states).toEqual(['no data']);
    expect(engine.getState().stages[0]!.promotable).toBe(true);
  });

  it('a bad query is error and blocks', async () => {
    const { states, engine } = await evalSeries({ query: Q, fail: '> 0.05' }, [new PromError('bad_data', 'parse error')]);
    expect(states).toEqual(['error']);
    expect(engine.getState().gates[0]!.blocks).toBe(true);
  });
});

describe('reducers', () => {
  it('max of several series by default; min when chosen', async () => {
    const a = await evalSeries({ query: Q, fail: '> 0.05' }, [[0.01, 0.09, 0.02] as unknown as number]);
    expect(a.engine.getState().gates[0]!.value).toBe(0.09);
    const b = await evalSeries({ query: Q, fail: '> 0.05', reduce: 'min' }, [[0.01, 0.09, 0.02] as unknown as number]);
    expect(b.engine.getState().gates[0]!.value).toBe(0.01);
    expect(b.states).toEqual(['ok']);
  });

  it('ignores NaN series beside numbers', async () => {
    const a = await evalSeries({ query: Q, fail: '> 0.05' }, [[NaN, 0.02] as unknown as number]);
    expect(a.engine.getState().gates[0]!.value).toBe(0.02);
  });
});

describe('baselines', () => {
  it('a relative threshold compares with the first value of the window by default', async () => {
    const { states, engine } = await evalSeries({ query: Q, fail: '> +10%' }, [0.004, 0.0043, 0.0045]);
    expect(states).toEqual(['ok', 'ok', 'failing']);
    expect(engine.getState().gates[0]!.baseline).toBe(0.004);
  });

  it('seed 001: p99 <= 5 ms AND within +10% of a baseline query', async () => {
    const prom = new FakeProm().set('baseline_q', 0.003);
    const h = makeEngine(onePlan({ query: Q, fail: ['> 0.005', '> +10%'], baseline: { query: 'baseline_q' } }), { prom });
    const states: string[] = [];
    for (const v of [0.0031, 0.0034, 0.0051]) {
      prom.set(Q, v);
      await h.engine.poll();
      states.push(h.engine.getState().gates[0]!.state);
    }
    expect(states).toEqual(['ok', 'failing', 'failing']);
    expect(h.engine.getState().gates[0]!.why).toMatch(/> 0\.005/);
  });

  it('an offset baseline is queried once at window start minus offset', async () => {
    const prom = new FakeProm();
    const h = makeEngine(onePlan({ query: Q, fail: '> +3%', baseline: { offset: '1h' } }), { prom });
    const start = h.engine.windowStart;
    prom.set(Q, (time) => (time === start - 3_600_000 ? 100 : 102));
    await h.engine.poll();
    await h.engine.poll();
    expect(h.engine.getState().gates[0]!).toMatchObject({ baseline: 100, state: 'ok' });
    expect(prom.queries.filter((q) => q.time !== undefined)).toHaveLength(1);
    prom.set(Q, (time) => (time === start - 3_600_000 ? 100 : 104));
    await h.engine.poll();
    expect(h.engine.getState().gates[0]!.state).toBe('failing');
  });

  it('a relative threshold with no baseline yet is no data', async () => {
    const prom = new FakeProm().set('baseline_q', 'empty');
    const h = makeEngine(onePlan({ query: Q, fail: '> +10%', baseline: { query: 'baseline_q' } }), { prom });
    prom.set(Q, 5);
    await h.engine.poll();
    expect(h.engine.getState().gates[0]!.state).toBe('no data');
    expect(h.engine.getState().gates[0]!.why).toMatch(/baseline/);
  });
});

describe('modes and onFail', () => {
  it('mode off: the gate is off, never evaluated, never blocks', async () => {
    const { states, prom, engine } = await evalSeries({ query: Q, fail: '> 0.05', mode: 'off' }, [0.9]);
    expect(states).toEqual(['off']);
    expect(prom.queries).toHaveLength(0);
    expect(engine.getState().stages[0]!.promotable).toBe(true);
  });

  it('plan-wide warn mode downgrades a rollback gate to alert: it fails but neither blocks nor rolls back', async () => {
    const { states, engine } = await evalSeries({ query: Q, fail: '> 0.05', onFail: 'rollback' }, [0.9], 30_000, { mode: 'warn' });
    expect(states).toEqual(['failing']);
    const st = engine.getState();
    expect(st.gates[0]!.onFail).toBe('alert');
    expect(st.stages[0]!.promotable).toBe(true);
    expect(st.events.some((e) => e.type === 'rollback.requested')).toBe(false);
  });

  it('a gate in enforce mode overrides a plan in warn mode', async () => {
    const { engine } = await evalSeries({ query: Q, fail: '> 0.05', onFail: 'block', mode: 'enforce' }, [0.9], 30_000, { mode: 'warn' });
    expect(engine.getState().stages[0]!.promotable).toBe(false);
  });

  it('an alert-only gate that fails does not block promotion but raises an alert', async () => {
    const { engine } = await evalSeries({ query: Q, fail: '> 0.05', onFail: 'alert' }, [0.9]);
    const st = engine.getState();
    expect(st.stages[0]!.promotable).toBe(true);
    expect(st.alerts.some((a) => a.source === 'flightdeck' && a.name === 'gate g')).toBe(true);
  });

  it('a rollback gate entering failing requests one rollback, not one per poll', async () => {
    const { engine } = await evalSeries({ query: Q, fail: '> 0.05', onFail: 'rollback', for: '1m' }, [0.9, 0.9, 0.9, 0.9, 0.9, 0.01, 0.9, 0.9, 0.9]);
    const reqs = engine.getState().events.filter((e) => e.type === 'rollback.requested');
    expect(reqs).toHaveLength(1);
    expect(reqs[0]).toMatchObject({ gateId: 'g', auto: true, stageId: 'canary' });
  });
});

describe('history and events', () => {
  it('keeps every evaluation with value and state, and the time the state changed', async () => {
    const { engine, clock } = await evalSeries({ query: Q, fail: '> 0.05' }, [0.01, 0.02, 0.09]);
    const g = engine.getState().gates[0]!;
    expect(g.history.map((s) => [s.value, s.state])).toEqual([
      [0.01, 'ok'],
      [0.02, 'ok'],
      [0.09, 'failing'],
    ]);
    expect(g.since).toBe(clock.now() - 30_000);
    const changes = engine.getState().events.filter((e) => e.type === 'gate.changed');
    expect(changes.map((e) => (e.type === 'gate.changed' ? `${e.from}->${e.to}` : ''))).toEqual(['no data->ok', 'ok->failing']);
  });

  it('bounds the history', async () => {
    const prom = new FakeProm().set(Q, 0.01);
    const h = makeEngine(onePlan({ query: Q, fail: '> 0.05' }), { prom });
    for (let i = 0; i < 400; i++) await h.engine.poll();
    expect(h.engine.getState().gates[0]!.history.length).toBe(360);
  });
});
