/**
 * Issue 11's false passes and wrong reasons, one engine at a time on a fake
 * clock: non-finite and misshapen answers, health in one run, health JSON
 * fields (seed 004), the reasons a gate gives.
 */
import { describe, expect, it } from 'vitest';
import { checkJson, judge } from '../../src/cli/check.js';
import { judge as judgeHealth } from '../../src/sources/nodes.js';
import { blockerText } from '../../src/present/values.js';
import { describeBlockers } from '../../src/session/session.js';
import type { PlanInput } from '../../src/plan/schema.js';
import { PromError, type PromQueryResult } from '../../src/sources/types.js';
import { FakeProm, makeEngine, PROM } from '../helpers/engine-fakes.js';

const Q = 'sum(rate(errors[5m])) / sum(rate(requests[5m]))';

/** A Prometheus that answers the gate's query with whatever shape the test gives. */
class ShapedProm extends FakeProm {
  shape: PromQueryResult = { resultType: 'vector', samples: [], warnings: [] };
  override async query(expr: string, opts?: { time?: number }): Promise<PromQueryResult> {
    this.queries.push({ expr, time: opts?.time });
    return this.shape;
  }
}

/** Gates are written loosely here (each test a different kind); the schema parses them in makeEngine. */
function plan(gates: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}): PlanInput {
  return { service: 'svc', prometheus: PROM, stages: [{ id: 'canary', gates, rollback: { run: ['./rb.sh'] } }], ...extra } as unknown as PlanInput;
}

async function once(shape: PromQueryResult) {
  const prom = new ShapedProm();
  prom.shape = shape;
  const h = makeEngine(plan([{ id: 'g', query: Q, fail: '> 0.05' }]), { prom });
  await h.engine.poll();
  return h.engine.getState();
}

const vec = (...values: number[]): PromQueryResult => ({ resultType: 'vector', samples: values.map((value, i) => ({ labels: { node: `n${i}` }, value, timestamp: 0 })), warnings: [] });

describe('non-finite and misshapen answers are never ok, never a value in a comparison', () => {
  it.each([
    ['+Inf', vec(Infinity), 'error', /\+Inf in \{node="n0"\}/],
    ['-Inf', vec(-Infinity), 'error', /-Inf in \{node="n0"\}/],
    ['+Inf beside a finite series', vec(0.01, Infinity), 'error', /\+Inf in \{node="n1"\}/],
    ['NaN', vec(NaN), 'no data', /NaN/],
    ['a matrix for an instant query', { resultType: 'matrix', samples: [{ labels: {}, value: 0.01, timestamp: 0 }], warnings: [] }, 'error', /matrix/],
    ['a string', { resultType: 'string', samples: [{ labels: {}, value: 1, timestamp: 0 }], warnings: [] }, 'error', /string/],
    ['a scalar NaN', { resultType: 'scalar', samples: [{ labels: {}, value: NaN, timestamp: 0 }], warnings: [] }, 'no data', /NaN/],
  ] as const)('%s -> %s, named in why; the JSON carries no unexplained null', async (_name, shape, state, why) => {
    const st = await once(shape as PromQueryResult);
    const g = st.gates[0]!;
    expect(g.state).toBe(state);
    expect(g.why).toMatch(why);
    expect(g.blocks).toBe(true);
    const json = checkJson(judge(st)) as { gates: Array<{ value: unknown; state: string; why: string; parts?: Array<{ value: unknown; note?: string }> }> };
    const jg = json.gates[0]!;
    expect(jg.value).toBeNull();
    expect(['error', 'no data']).toContain(jg.state);
    for (const p of jg.parts ?? []) if (p.value === null) expect(p.note).toMatch(/NaN|Inf/);
    expect(JSON.stringify(json)).not.toMatch(/Infinity/);
    expect(judge(st).exitCode).not.toBe(0);
  });

  it('Prometheus warnings (a partial answer) are shown on the gate', async () => {
    const st = await once({ ...vec(0.01), warnings: ['remote read of store-2 failed: partial response'] });
    expect(st.gates[0]!.state).toBe('ok');
    expect(st.gates[0]!.why).toMatch(/Prometheus warning: remote read of store-2 failed/);
    expect(st.gates[0]!.warnings).toEqual(['remote read of store-2 failed: partial response']);
  });
});

describe('health in one run: never ok with a node down', () => {
  it('a node that failed 1 of 3 probes makes the health gate pending (blocks), not ok', async () => {
    const h = makeEngine({ ...plan([{ id: 'health', health: { consecutiveFailures: 3 } }]), nodes: [{ name: 'web-1', url: 'http://a' }, { name: 'web-2', url: 'http://b' }] });
    h.nodes.failing.add('web-2');
    await h.engine.poll();
    const g = h.engine.getState().gates[0]!;
    expect(g).toMatchObject({ state: 'pending', blocks: true, value: 0 });
    expect(g.why).toMatch(/web-2 failed 1 of 3 probes in a row/);
    await h.engine.poll();
    await h.engine.poll();
    expect(h.engine.getState().gates[0]!).toMatchObject({ state: 'failing', value: 1 });
  });

  it('healthField with a node unreachable is no data for that node and for the gate (fails closed)', async () => {
    const h = makeEngine({ ...plan([{ id: 'pool', healthField: 'database_pool.state.saturation', fail: '>= 0.9' }]), nodes: [{ name: 'web-1', url: 'http://a' }, { name: 'web-2', url: 'http://b' }] });
    h.nodes.bodies.set('web-1', { status: 'ok', database_pool: { state: { saturation: 0.4 } } });
    h.nodes.failing.add('web-2');
    await h.engine.poll();
    const g = h.engine.getState().gates[0]!;
    expect(g.state).toBe('no data');
    expect(g.blocks).toBe(true);
    expect(g.why).toMatch(/web-2 \(no health answer: HTTP 503\)/);
    expect(g.parts).toEqual([
      { name: 'web-1', value: 0.4 },
      { name: 'web-2', value: null, note: 'no health answer: HTTP 503' },
    ]);
  });
});

describe('health JSON done right (seed 004)', () => {
  const nodes = [{ name: 'mes-1', url: 'http://a' }, { name: 'mes-2', url: 'http://b' }];
  const degraded = { id: 'degraded-reason', healthField: 'degraded_reason', fail: "!= ''", absent: 'ok' };

  it('degraded_reason null or "" on every node is ok (absent means ok), not no data', async () => {
    const h = makeEngine({ ...plan([degraded]), nodes });
    h.nodes.bodies.set('mes-1', { status: 'ok', degraded_reason: null });
    h.nodes.bodies.set('mes-2', { status: 'ok', degraded_reason: '' });
    await h.engine.poll();
    expect(h.engine.getState().gates[0]!).toMatchObject({ state: 'ok', blocks: false });
    expect(h.engine.getState().stages[0]!.promotable).toBe(true);
  });

  it('without absent: ok a null field stays no data (the old behaviour, now a choice)', async () => {
    const h = makeEngine({ ...plan([{ ...degraded, absent: undefined }]), nodes });
    h.nodes.bodies.set('mes-1', { status: 'ok', degraded_reason: null });
    h.nodes.bodies.set('mes-2', { status: 'ok', degraded_reason: null });
    await h.engine.poll();
    expect(h.engine.getState().gates[0]!.state).toBe('no data');
  });

  it('absent means ok only in a health document a node answered as healthy: JSON null, an array, a number, or a failed answer without the field is no data, naming the node', async () => {
    for (const body of [null, [], 42, 'down', { error_code: 'CIRCUIT_BREAKER_OPEN' }, { error: 'DB_POOL_EXHAUSTED', degraded_reason: null }, { error: 'DB_POOL_EXHAUSTED', degraded_reason: '' }]) {
      const h = makeEngine({ ...plan([degraded]), nodes });
      h.nodes.bodies.set('mes-1', { status: 'ok', degraded_reason: null });
      h.nodes.failing.add('mes-2');
      h.nodes.failBodies.set('mes-2', body);
      await h.engine.poll();
      const g = h.engine.getState().gates[0]!;
      expect({ body, state: g.state, blocks: g.blocks }).toEqual({ body, state: 'no data', blocks: true });
      expect(g.why).toMatch(/^no degraded_reason from mes-2 \(/);
    }
  });

  it('a 503 body is read as data: DB_POOL_EXHAUSTED with its degraded_reason fails the gate', async () => {
    const h = makeEngine({ ...plan([degraded]), nodes });
    h.nodes.bodies.set('mes-1', { status: 'ok', degraded_reason: null });
    h.nodes.failing.add('mes-2');
    h.nodes.failBodies.set('mes-2', { error: 'DB_POOL_EXHAUSTED', degraded_reason: 'db_pool_exhausted' });
    await h.engine.poll();
    const g = h.engine.getState().gates[0]!;
    expect(g).toMatchObject({ state: 'failing', value: 'db_pool_exhausted' });
  });

  it('expect: ok fails when any node answers another status, whatever the reducer', async () => {
    const h = makeEngine({ ...plan([{ id: 'status', healthField: 'status', expect: 'ok' }]), nodes });
    h.nodes.bodies.set('mes-1', { status: 'ok' });
    h.nodes.bodies.set('mes-2', { status: 'degraded' });
    await h.engine.poll();
    const g = h.engine.getState().gates[0]!;
    expect(g).toMatchObject({ state: 'failing', value: 'degraded' });
    expect(g.fail).toEqual(['!= "ok"']);
    h.nodes.bodies.set('mes-2', { status: 'ok' });
    await h.engine.poll();
    expect(h.engine.getState().gates[0]!.state).toBe('ok');
  });

  it('health can require a body field besides the HTTP code: 200 {"status":"degraded"} is a failed probe', () => {
    expect(judgeHealth({ status: 200, body: '{"status":"degraded"}' }).ok).toBe(true); // without the plan saying so
    expect(judgeHealth({ status: 200, body: '{"status":"degraded"}' }, { status: 'ok' })).toMatchObject({ ok: false, error: 'status is "degraded", expected "ok"' });
    expect(judgeHealth({ status: 200, body: '{"status":"ok"}' }, { status: 'ok' }).ok).toBe(true);
    expect(judgeHealth({ status: 200, body: '{"db":{"ok":false}}' }, { 'db.ok': true })).toMatchObject({ ok: false, error: 'db.ok is false, expected true' });
  });

  it('a 200 whose JSON is null, an array or a bare number is not a healthy answer', () => {
    expect(judgeHealth({ status: 200, body: 'null' })).toMatchObject({ ok: false, error: 'health body is JSON null, not an object' });
    expect(judgeHealth({ status: 200, body: '[]' }).ok).toBe(false);
    expect(judgeHealth({ status: 200, body: '42' }).ok).toBe(false);
    expect(judgeHealth({ status: 200, body: '' })).toMatchObject({ ok: false, error: 'health body is not JSON' });
  });

  it('the plan: expect and absent only on healthField; expect stands in for fail', () => {
    expect(() => makeEngine(plan([{ id: 'x', query: Q, fail: '> 1', absent: 'ok' }]))).toThrow(/only on a healthField gate/);
    expect(() => makeEngine({ ...plan([{ id: 'status', healthField: 'status', expect: 'ok' }]), nodes })).not.toThrow();
  });
});

describe('honest reasons', () => {
  it('with Prometheus down a query gate says its query was not sent and why, not that it asked /api/v1/alerts', async () => {
    const prom = new FakeProm();
    prom.down = new PromError('unreachable', 'Prometheus /api/v1/alerts: connect ECONNREFUSED 127.0.0.1:9 is unreachable');
    const h = makeEngine(plan([{ id: 'q', query: Q, fail: '> 0.05' }, { id: 'a', alert: 'X' }]), { prom });
    await h.engine.poll();
    const [q, a] = h.engine.getState().gates;
    expect(q!.why).toMatch(/^query not sent: Prometheus is down \(Prometheus \/api\/v1\/alerts: connect ECONNREFUSED/);
    expect(a!.why).toMatch(/^Prometheus \/api\/v1\/alerts: connect ECONNREFUSED/);
    const v = judge(h.engine.getState());
    expect(v.exitCode).toBe(2);
    expect(v.reasons).toHaveLength(1); // the outage once, not once per gate
  });

  it('bake time is a blocker: in check --json and in stage.promotable', async () => {
    const prom = new FakeProm().set(Q, 0.01);
    const h = makeEngine({ ...plan([{ id: 'g', query: Q, fail: '> 0.05' }]), stages: [{ id: 'canary', bake: '10m', gates: [{ id: 'g', query: Q, fail: '> 0.05' }] }] }, { prom });
    await h.engine.poll();
    const st = h.engine.getState();
    expect(st.stages[0]!.promotable).toBe(false);
    const ev = st.events.find((e) => e.type === 'stage.promotable');
    // One shape in the event and in check --json: bake is a blocker among the others, not a field beside them.
    expect(ev).toMatchObject({ promotable: false, blockers: [{ kind: 'bake', left: '10m', leftMs: 600_000 }] });
    expect(ev).not.toHaveProperty('bake');
    expect((checkJson(judge(st)) as { blockers: unknown[] }).blockers).toEqual([{ kind: 'bake', left: '10m', leftMs: 600_000 }]);
  });

  it('blockers are objects in stage.promotable and check --json alike; a gate blocking on some nodes names them', async () => {
    const nodes = [{ name: 'web-1', url: 'http://a' }, { name: 'web-2', url: 'http://b' }, { name: 'web-3', url: 'http://c' }];
    const h = makeEngine({
      ...plan([
        { id: 'health', health: { consecutiveFailures: 1 } },
        { id: 'pool', healthField: 'pool.saturation', fail: '>= 0.9' },
        { id: 'g', query: Q, fail: '> 0.05' },
      ]),
      nodes,
    }, { prom: new FakeProm().set(Q, 0.5) });
    h.nodes.bodies.set('web-1', { pool: { saturation: 0.95 } });
    h.nodes.bodies.set('web-2', { pool: { saturation: 0.2 } });
    h.nodes.bodies.set('web-3', { pool: { saturation: 0.3 } });
    h.nodes.failing.add('web-3');
    await h.engine.poll();
    const st = h.engine.getState();
    const ev = st.events.find((e) => e.type === 'stage.promotable');
    const byId = (list: unknown) => Object.fromEntries((list as Array<{ kind: string; id: string }>).map((b) => [b.id, b]));
    const fromEvent = byId((ev as { blockers: unknown }).blockers);
    expect(fromEvent.health).toMatchObject({ kind: 'gate', id: 'health', state: 'failing', nodes: ['web-3'] });
    // web-1 breaches; web-3 answered nothing to read (fails closed); web-2 is fine.
    expect(fromEvent.pool).toMatchObject({ kind: 'gate', id: 'pool', nodes: ['web-1', 'web-3'] });
    expect(fromEvent.g).toMatchObject({ kind: 'gate', id: 'g', state: 'failing' });
    expect(fromEvent.g).not.toHaveProperty('nodes');
    const json = checkJson(judge(st)) as { blockers: unknown[] };
    expect(json.blockers).toEqual((ev as { blockers: unknown[] }).blockers);
    expect(blockerText(st.stages[0]!.blockers.find((b) => b.gateId === 'health')!, st.gates)).toMatch(/^health failing.* on web-3$/);
    // The refusal of a CLI promote says it too.
    expect(describeBlockers(st.stages[0]!, st.gates, st.now)).toMatch(/health failing 1 \(threshold > 0, failing for 0s, on web-3\)/);
  });

  it('an alert gate naming a rule Prometheus does not have is no data, not "ok — no alert firing"', async () => {
    const prom = new FakeProm();
    prom.ruleNames = ['DualWriteFailure'];
    const h = makeEngine(plan([{ id: 'typo', alert: 'DualWriteFailur' }, { id: 'real', alert: 'DualWriteFailure' }]), { prom });
    await h.engine.poll();
    const [typo, real] = h.engine.getState().gates;
    expect(typo).toMatchObject({ state: 'no data', blocks: true });
    expect(typo!.why).toMatch(/no alerting rule named DualWriteFailur/);
    expect(real!.state).toBe('ok');
  });
});

describe('seed 004 as the fixture plan expresses it', () => {
  async function seed004() {
    const { loadPlan } = await import('../../src/plan/load.js');
    const { ManualClock } = await import('../../src/clock.js');
    const { Engine } = await import('../../src/engine/engine.js');
    const { FakeNodes } = await import('../helpers/engine-fakes.js');
    const loaded = await loadPlan(new URL('../../fixtures/plans/seed-004-mes-dashboard-migration.yaml', import.meta.url).pathname);
    const clock = new ManualClock();
    const nodes = new FakeNodes(['mes-1', 'mes-2'], clock);
    const prom = new FakeProm().set('increase(watchdog_restarts_total[10m])', 0);
    const engine = new Engine({ loaded, clock, prometheus: prom, nodes, deepNodes: new FakeNodes(['mes-1', 'mes-2'], clock), stageId: 'post-deploy', readFile: async () => '', runCommand: async () => ({ exitCode: 0, timedOut: false, durationMs: 0, tail: '' }) });
    const body = (over: Record<string, unknown> = {}) => ({ status: 'ok', degraded_reason: null, database_pool: { state: { saturation: 0.3 } }, resilience: { policy_state: { blocked: false }, alerts: { restart_blocked: false } }, ...over });
    return { engine, nodes, body, gate: (id: string) => engine.getState().gates.find((g) => g.id === id)! };
  }

  it('healthy nodes answering degraded_reason: null pass every health-field gate (it was no data, blocking for ever)', async () => {
    const s = await seed004();
    s.nodes.bodies.set('mes-1', s.body());
    s.nodes.bodies.set('mes-2', s.body({ degraded_reason: '' }));
    await s.engine.poll();
    for (const id of ['degraded-reason', 'resilience-error-code', 'pool-saturation', 'policy-blocked', 'restart-blocked']) expect([id, s.gate(id).state]).toEqual([id, 'ok']);
  });

  it('a node answering 503 DB_POOL_EXHAUSTED with a degraded_reason: both read from the 503 body', async () => {
    const s = await seed004();
    s.nodes.bodies.set('mes-1', s.body());
    s.nodes.failing.add('mes-2');
    s.nodes.failBodies.set('mes-2', s.body({ status: 'degraded', error_code: 'DB_POOL_EXHAUSTED', degraded_reason: 'db pool exhausted' }));
    await s.engine.poll();
    expect(s.gate('resilience-error-code')).toMatchObject({ state: 'failing', value: 'DB_POOL_EXHAUSTED' });
    expect(s.gate('degraded-reason')).toMatchObject({ state: 'pending', value: 'db pool exhausted' });
  });
});
