import { describe, expect, it } from 'vitest';
import { getPath, reduceValues } from '../../checks/value.js';
import type { PlanInput } from '../../src/plan/schema.js';
import { FakeProm, makeEngine, PROM } from '../helpers/engine-fakes.js';

const nodes = [
  { name: 'web-1', url: 'http://127.0.0.1:1' },
  { name: 'web-2', url: 'http://127.0.0.1:2' },
];

function planWith(gates: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}): PlanInput {
  return { service: 'mes', prometheus: PROM, nodes, stages: [{ id: 'cutover', bake: '10m', gates, rollback: { run: ['./rb.sh'] } }], ...extra } as PlanInput;
}

describe('value helpers', () => {
  it('reads nested paths with indexes', () => {
    const body = { database_pool: { state: { saturation: 0.93 } }, list: [{ a: 1 }, { a: 2 }] };
    expect(getPath(body, 'database_pool.state.saturation')).toBe(0.93);
    expect(getPath(body, 'list[1].a')).toBe(2);
    expect(getPath(body, 'database_pool.nope.x')).toBeUndefined();
  });
  it('reduces booleans as any/all and strings as first non-empty', () => {
    expect(reduceValues([false, true])).toBe(true);
    expect(reduceValues([false, true], 'min')).toBe(false);
    expect(reduceValues(['', 'pool exhausted'])).toBe('pool exhausted');
    expect(reduceValues([3, 1, 2], 'sum')).toBe(6);
    expect(reduceValues([3, 1, 2], 'avg')).toBe(2);
  });
});

describe('node health gate (seed 002: consecutive non-OK checks)', () => {
  it('fails when a node has failed the given number of probes in a row', async () => {
    const h = makeEngine(planWith([{ id: 'health', health: { consecutiveFailures: 2 }, onFail: 'rollback' }]));
    await h.engine.poll();
    expect(h.engine.getState().gates[0]!.state).toBe('ok');
    h.nodes.failing.add('web-2');
    await h.engine.poll();
    // One failure of two: a breach building, pending (blocks), never ok (issue 11).
    expect(h.engine.getState().gates[0]!).toMatchObject({ state: 'pending', value: 0, blocks: true });
    await h.engine.poll();
    const g = h.engine.getState().gates[0]!;
    expect(g).toMatchObject({ state: 'failing', value: 1 });
    expect(g.parts?.find((p) => p.name === 'web-2')).toMatchObject({ value: 2 });
    expect(h.engine.getState().events.filter((e) => e.type === 'node.down')).toHaveLength(1);
    expect(h.engine.getState().events.filter((e) => e.type === 'rollback.requested')).toHaveLength(1);
  });
});

describe('health field gates (seed 004)', () => {
  it('database_pool.state.saturation >= 0.90 for 3 consecutive probes, max over nodes', async () => {
    const h = makeEngine(planWith([{ id: 'pool', healthField: 'database_pool.state.saturation', fail: '>= 0.90', forProbes: 3 }]));
    h.nodes.bodies.set('web-1', { database_pool: { state: { saturation: 0.5 } } });
    h.nodes.bodies.set('web-2', { database_pool: { state: { saturation: 0.95 } } });
    const states: string[] = [];
    for (let i = 0; i < 3; i++) {
      await h.engine.poll();
      states.push(h.engine.getState().gates[0]!.state);
    }
    expect(states).toEqual(['pending', 'pending', 'failing']);
    expect(h.engine.getState().gates[0]!.value).toBe(0.95);
  });

  it('degraded_reason non-empty for >= 5 minutes', async () => {
    const h = makeEngine(planWith([{ id: 'degraded', healthField: 'degraded_reason', fail: '!= ""', for: '5m' }]));
    h.nodes.bodies.set('web-1', { degraded_reason: '' });
    h.nodes.bodies.set('web-2', { degraded_reason: 'redis unavailable' });
    await h.engine.poll();
    expect(h.engine.getState().gates[0]!).toMatchObject({ state: 'pending', value: 'redis unavailable' });
    await h.clock.advance(5 * 60_000);
    await h.engine.poll();
    expect(h.engine.getState().gates[0]!.state).toBe('failing');
  });

  it('resilience.policy_state.blocked == true', async () => {
    const h = makeEngine(planWith([{ id: 'blocked', healthField: 'resilience.policy_state.blocked', fail: '== true' }]));
    h.nodes.bodies.set('web-1', { resilience: { policy_state: { blocked: false } } });
    h.nodes.bodies.set('web-2', { resilience: { policy_state: { blocked: false } } });
    await h.engine.poll();
    expect(h.engine.getState().gates[0]!.state).toBe('ok');
    h.nodes.bodies.set('web-2', { resilience: { policy_state: { blocked: true } } });
    await h.engine.poll();
    expect(h.engine.getState().gates[0]!.state).toBe('failing');
  });

  it('a field missing everywhere is no data; a down node contributes nothing', async () => {
    const h = makeEngine(planWith([{ id: 'pool', healthField: 'database_pool.state.saturation', fail: '>= 0.9' }]));
    await h.engine.poll();
    expect(h.engine.getState().gates[0]!).toMatchObject({ state: 'no data' });
    expect(h.engine.getState().gates[0]!.why).toMatch(/missing/);
    h.nodes.failing.add('web-1');
    h.nodes.failing.add('web-2');
    await h.engine.poll();
    expect(h.engine.getState().gates[0]!.state).toBe('no data');
  });
});

describe('deep health (seed 004: /health/deep)', () => {
  it('a deep gate reads the deep probes; the shallow ones are not enough', async () => {
    const plan = { service: 'mes', nodes: [{ name: 'web-1', url: 'http://127.0.0.1:1', deep: '/health/deep' }], stages: [{ id: 's', gates: [{ id: 'deep', health: { deep: true } }, { id: 'shallow', health: {} }] }] };
    const h = makeEngine(plan);
    h.deepNodes.failing.add('web-1');
    await h.engine.poll();
    expect(h.engine.getState().gates.map((g) => [g.id, g.state])).toEqual([['deep', 'failing'], ['shallow', 'ok']]);
  });

  it('is no data when no node has a deep path', async () => {
    const h = makeEngine({ service: 'mes', nodes, stages: [{ id: 's', gates: [{ id: 'deep', healthField: 'cache.derived_search_index', deep: true, fail: '== false' }] }] });
    await h.engine.poll();
    expect(h.engine.getState().gates[0]).toMatchObject({ state: 'no data', why: expect.stringMatching(/deep health path/) });
  });
});

describe('alert gate', () => {
  it('fails while the named alert fires, ignores pending unless asked', async () => {
    const prom = new FakeProm();
    const h = makeEngine(planWith([{ id: 'dual-write', alert: 'DualWriteFailure', onFail: 'rollback' }]), { prom });
    prom.ruleNames = ['DualWriteFailure'];
    prom.alertList = [{ name: 'DualWriteFailure', state: 'pending', labels: { alertname: 'DualWriteFailure' }, annotations: {} }];
    await h.engine.poll();
    expect(h.engine.getState().gates[0]!.state).toBe('ok');
    prom.alertList = [{ name: 'DualWriteFailure', state: 'firing', labels: { alertname: 'DualWriteFailure', severity: 'critical' }, annotations: { summary: 'writes failing' }, activeAt: 1 }];
    await h.engine.poll();
    const st = h.engine.getState();
    expect(st.gates[0]!).toMatchObject({ state: 'failing', value: 1 });
    expect(st.alerts.find((a) => a.source === 'prometheus')).toMatchObject({ name: 'DualWriteFailure', severity: 'critical', summary: 'writes failing' });
  });

  it('"*" counts every firing alert (seed 001: no active alerts)', async () => {
    const prom = new FakeProm();
    prom.alertList = [{ name: 'Anything', state: 'firing', labels: {}, annotations: {} }];
    const h = makeEngine(planWith([{ id: 'no-alerts', alert: '*' }]), { prom });
    await h.engine.poll();
    expect(h.engine.getState().gates[0]!.state).toBe('failing');
  });
});

describe('command gate (seed 000 test commands)', () => {
  it('fails on a non-zero exit, runs once per stage until a manual refresh', async () => {
    let code = 1;
    const h = makeEngine(planWith([{ id: 'concurrency-test', command: { run: ['mvn', 'test'] } }]), { exit: () => code });
    await h.engine.poll();
    expect(h.engine.getState().gates[0]!).toMatchObject({ state: 'failing', value: 1 });
    code = 0;
    await h.engine.poll();
    expect(h.commands).toHaveLength(1);
    h.engine.dispatch({ type: 'refresh' });
    await h.engine.poll();
    expect(h.commands).toHaveLength(2);
    expect(h.engine.getState().gates[0]!.state).toBe('ok');
  });
});

describe('evidence gate', () => {
  it('reads a field of a JSON report; a missing file is no data; bad JSON is error', async () => {
    const files: Record<string, string> = {};
    const h = makeEngine(planWith([{ id: 'profiles', evidence: { file: 'report.json', field: 'summary.profiles.passed' }, fail: '< 7' }]), { files });
    await h.engine.poll();
    expect(h.engine.getState().gates[0]!.state).toBe('no data');
    files['/plans/report.json'] = '{"summary":{"profiles":{"passed":7}}}';
    await h.engine.poll();
    expect(h.engine.getState().gates[0]!.state).toBe('ok');
    files['/plans/report.json'] = '{"summary":{"profiles":{"passed":6}}}';
    await h.engine.poll();
    expect(h.engine.getState().gates[0]!.state).toBe('failing');
    files['/plans/report.json'] = '{"summary":';
    await h.engine.poll();
    expect(h.engine.getState().gates[0]!.state).toBe('error');
  });

  it('seed 000 perf budget: no more than +3% over a baseline field', async () => {
    const files = { '/plans/bench.json': '{"baseline":{"ns":1000},"current":{"ns":1040}}' };
    const h = makeEngine(planWith([{ id: 'perf', evidence: { file: 'bench.json', field: 'current.ns' }, baseline: { field: 'baseline.ns' }, fail: '> +3%' }]), { files });
    await h.engine.poll();
    expect(h.engine.getState().gates[0]!).toMatchObject({ state: 'failing', baseline: 1000 });
  });
});

describe('label cardinality gate (seed 001)', () => {
  it('fails when a label value falls outside the set', async () => {
    const prom = new FakeProm();
    prom.seriesList = ['1', '2-5', '6-10', '11+'].map((bucket) => ({ __name__: 'helper_bucket_total', bucket }));
    const h = makeEngine(planWith([{ id: 'buckets', cardinality: { metric: 'helper_bucket_total', label: 'bucket', allowed: ['1', '2-5', '6-10', '11+'] } }]), { prom });
    await h.engine.poll();
    expect(h.engine.getState().gates[0]!.state).toBe('ok');
    prom.seriesList.push({ __name__: 'helper_bucket_total', bucket: '12' });
    await h.engine.poll();
    expect(h.engine.getState().gates[0]!).toMatchObject({ state: 'failing', value: 1 });
    expect(h.engine.getState().gates[0]!.why).toMatch(/unexpected bucket: 12/);
  });
});

describe('manual sign-off and stage promotability', () => {
  it('a stage is promotable only after bake and the sign-off, with blockers naming the gate', async () => {
    const h = makeEngine(planWith([{ id: 'go-live', manual: { item: 'Go-live checklist complete', operators: ['alice'] } }]));
    await h.engine.poll();
    let st = h.engine.getState();
    expect(st.gates[0]!.state).toBe('pending');
    expect(st.stages[0]).toMatchObject({ promotable: false, bakeRemainingMs: 600_000 });
    expect(st.stages[0]!.blockers.map((b) => b.gateId)).toEqual(['go-live']);
    expect(() => h.engine.dispatch({ type: 'signoff', gateId: 'go-live', operator: 'mallory', note: 'ok' })).toThrow(/may not sign off/);
    h.engine.dispatch({ type: 'signoff', gateId: 'go-live', operator: 'alice', note: 'checked dashboards' });
    st = h.engine.getState();
    expect(st.gates[0]!).toMatchObject({ state: 'ok', signoff: { operator: 'alice', note: 'checked dashboards' } });
    expect(st.stages[0]!.promotable).toBe(false); // still baking
    await h.clock.advance(600_000);
    await h.engine.poll();
    st = h.engine.getState();
    expect(st.stages[0]!.promotable).toBe(true);
    expect(st.gates[0]!.state).toBe('ok'); // the sign-off survives later polls
  });

  it('a warn gate allows promotion and is listed as a caution', async () => {
    const prom = new FakeProm().set('q', 0.04);
    const h = makeEngine({ service: 's', prometheus: PROM, stages: [{ id: 'a', gates: [{ id: 'g', query: 'q', fail: '> 0.05', warn: '> 0.03' }] }] }, { prom });
    await h.engine.poll();
    expect(h.engine.getState().stages[0]).toMatchObject({ promotable: true, cautions: ['g'] });
  });

  it('plan-wide gates apply in every stage', async () => {
    const prom = new FakeProm().set('mem', 0.9);
    const h = makeEngine({ service: 's', prometheus: PROM, gates: [{ id: 'memory', query: 'mem', fail: '> 0.85', onFail: 'alert' }], stages: [{ id: 'a' }, { id: 'b' }] }, { prom });
    await h.engine.poll();
    h.engine.dispatch({ type: 'entered-stage', index: 1, by: 'promote' });
    await h.engine.poll();
    const st = h.engine.getState();
    expect(st.gates.map((g) => [g.id, g.stageId, g.state])).toEqual([['memory', null, 'failing']]);
    expect(st.stages.map((s) => s.status)).toEqual(['done', 'current']);
  });
});
