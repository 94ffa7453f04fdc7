/**
 * Broken answers, through the real transport and clients into the engine:
 * every malformed Prometheus answer makes the affected gate `error`, every
 * malformed node answer makes that node down; never a crash, never a pass.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { healthExpectations } from '../../checks/health.js';
import { systemClock } from '../../src/clock.js';
import { Engine } from '../../src/engine/engine.js';
import { planSchema } from '../../src/plan/schema.js';
import { createHttpTransport } from '../../src/sources/http.js';
import { createNodePoller } from '../../src/sources/nodes.js';
import { createPromClient } from '../../src/sources/prometheus.js';
import { handlers, startFakeHttp, type FakeHttp, type Handler } from '../helpers/fake-http.js';

const servers: FakeHttp[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const PROM_CASES: Array<[string, Handler, RegExp?]> = [
  ['an HTML page with 200', handlers.htmlPage(200)],
  ['an HTML error page (502)', handlers.htmlPage(502)],
  ['truncated JSON', handlers.truncatedJson()],
  ['wrong types', handlers.wrongTypes()],
  ['a 20 MB body', handlers.huge(20)],
  ['a server that never answers', handlers.hang()],
  ['503 Service Unavailable (starting)', handlers.serviceUnavailable()],
  ['400 bad_data', handlers.badData()],
  ['422 execution', handlers.execution()],
  ['503 timeout envelope', handlers.timeoutEnvelope()],
  ['429 Too Many Requests', handlers.tooManyRequests()],
  // --- issue 11: answers that parse, but hold no number a threshold may judge
  ['-Inf in a vector', vector('-Inf'), /-Inf/],
  ['+Inf in a vector', vector('+Inf'), /\+Inf/],
  ['+Inf in one series of two', handlers.json(success({ resultType: 'vector', result: [{ metric: { node: 'a' }, value: [1, '0.01'] }, { metric: { node: 'b' }, value: [1, '+Inf'] }] })), /\+Inf in \{node="b"\}/],
  ['NaN in a vector', vector('NaN'), /NaN/],
  ['a scalar NaN', handlers.json(success({ resultType: 'scalar', result: [1, 'NaN'] })), /NaN/],
  ['a matrix for an instant query', handlers.json(success({ resultType: 'matrix', result: [{ metric: {}, values: [[1, '0.01'], [2, '0.02']] }] })), /matrix/],
  ['a string result', handlers.json(success({ resultType: 'string', result: [1, 'hello'] })), /string/],
  ['data: null', handlers.json({ status: 'success', data: null }), /data is null/],
  ['no data field', handlers.json({ status: 'success' }), /no data/],
  ['no status field', handlers.json({ data: { resultType: 'vector', result: [] } }), /not a Prometheus API response/],
  ['status "maybe"', handlers.json({ status: 'maybe', data: { resultType: 'vector', result: [] } }), /not a Prometheus API response/],
  ['result not an array', handlers.json(success({ resultType: 'vector', result: { value: [1, '0.01'] } })), /unexpected data/],
  ['an unknown resultType', handlers.json(success({ resultType: 'histogram', result: [] })), /unexpected data/],
  ['a value that is not a number', vector('abc'), /not a number/],
  ['a value pair of one element', handlers.json(success({ resultType: 'vector', result: [{ metric: {}, value: [1] }] })), /unexpected data/],
  ['metric not an object', handlers.json(success({ resultType: 'vector', result: [{ metric: 'up', value: [1, '1'] }] })), /unexpected data/],
  ['a native histogram only', handlers.json(success({ resultType: 'vector', result: [{ metric: {}, histogram: [1, { count: '3' }] }] })), /native histograms/],
  ['a top-level JSON array', handlers.json([1, 2, 3]), /not a Prometheus API response/],
  ['an empty 200 body', handlers.json(''), /empty body/],
  ['a 404 HTML page', (_req, res) => { res.writeHead(404, { 'content-type': 'text/html' }); res.end('<html>Not Found</html>'); }, /404/],
  ['a 500 text body', (_req, res) => { res.writeHead(500, { 'content-type': 'text/plain' }); res.end('internal error'); }, /500/],
  ['status error with 200 and no errorType', handlers.json({ status: 'error', error: 'something broke' }), /something broke/],
  ['a connection reset mid-body', (_req, res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' }); res.write('{"status":"success","data":{'); setTimeout(() => res.socket?.destroy(), 20); }, /./],
  ['a redirect to nowhere', (_req, res) => { res.writeHead(302, { location: 'http://127.0.0.1:1/login' }); res.end(); }, /302/],
];

function success(data: unknown) {
  return { status: 'success', data };
}

function vector(value: string): Handler {
  return handlers.json(success({ resultType: 'vector', result: [{ metric: {}, value: [1, value] }] }));
}

function engineFor(promUrl: string, nodes: Array<{ name: string; url: string }> = [], healthExpect?: Record<string, string>) {
  const loaded = {
    plan: planSchema.parse({
      service: 'svc',
      prometheus: { url: promUrl, timeout: '1s', maxBytes: 1_000_000 },
      nodes,
      stages: [
        {
          id: 'canary',
          gates: [
            { id: 'err', query: 'sum(rate(errors_total[5m]))', fail: '> 0.05' },
            ...(nodes.length ? [{ id: 'health', health: { expect: healthExpect } }, { id: 'pool', healthField: 'database_pool.state.saturation', fail: '>= 0.9' }] : []),
          ],
        },
      ],
    }),
    file: '/x/plan.yaml',
    dir: '/x',
  };
  const transport = createHttpTransport();
  const prometheus = createPromClient({ url: promUrl, transport, timeoutMs: 1_000, maxBytes: 1_000_000 });
  const poller = nodes.length ? createNodePoller({ nodes: loaded.plan.nodes, transport, clock: systemClock, timeoutMs: 1_000, concurrency: 8, breaker: { failures: 3, cooldown: 30_000 }, maxBytes: 1_000_000, expect: healthExpectations(loaded.plan, false) }) : null;
  const engine = new Engine({ loaded, clock: systemClock, prometheus, nodes: poller, readFile: async () => '', runCommand: async () => ({ exitCode: 0, timedOut: false, durationMs: 0, tail: '' }) });
  return { engine, close: async () => { await poller?.close(); await transport.close(); } };
}

describe('malformed Prometheus answers', () => {
  it('the corpus holds at least 25 malformed Prometheus answers', () => {
    expect(PROM_CASES.length + 1).toBeGreaterThanOrEqual(25);
  });

  for (const [name, handler, why] of PROM_CASES) {
    it(`${name} -> the gate is error or no data, never ok`, async () => {
      const srv = await startFakeHttp((req, res) => (req.url?.startsWith('/api/v1/alerts') ? handlers.json({ status: 'success', data: { alerts: [] } })(req, res) : handler(req, res)));
      servers.push(srv);
      const { engine, close } = engineFor(srv.url);
      try {
        await engine.poll();
        const g = engine.getState().gates[0]!;
        expect(['error', 'no data']).toContain(g.state);
        expect(g.blocks).toBe(true);
        expect(g.why.length).toBeGreaterThan(5);
        if (why) expect(g.why).toMatch(why);
        // No number made up: the value is null and the state says why; no NaN/Infinity reaches JSON.
        expect(g.value).toBeNull();
        expect(JSON.stringify(g)).not.toMatch(/Infinity/);
        expect(engine.getState().stages[0]!.promotable).toBe(false);
      } finally {
        await close();
      }
    });
  }

  it('every endpoint broken (HTML everywhere) -> Prometheus marked, gate error', async () => {
    const srv = await startFakeHttp(handlers.htmlPage(502));
    servers.push(srv);
    const { engine, close } = engineFor(srv.url);
    try {
      await engine.poll();
      expect(engine.getState().gates[0]!.state).toBe('error');
      expect(engine.getState().prometheus.lastError).toMatch(/502/);
    } finally {
      await close();
    }
  });
});

describe('malformed node answers', () => {
  const NODE_CASES: Array<[string, Handler]> = [
    ['an HTML page', handlers.htmlPage(200)],
    ['truncated JSON', handlers.truncatedJson()],
    ['a 20 MB body', handlers.huge(20)],
    ['a node that never answers', handlers.hang()],
    ['503 without a body', handlers.serviceUnavailable()],
    // --- issue 11
    ['an empty 200 body', handlers.json('')],
    ['200 with JSON null', handlers.json('null')],
    ['200 with a JSON array', handlers.json('[]')],
    ['200 with a bare number', handlers.json('42')],
    ['200 {"status":"banana"}', handlers.json({ status: 'banana' })],
    ['200 {"status":"down"}', handlers.json({ status: 'down', database_pool: { state: { saturation: 0.4 } } })],
    ['200 {"status":"degraded"} where the plan expects status ok', handlers.json({ status: 'degraded', database_pool: { state: { saturation: 0.4 } } })],
    ['500 {"error":"DB_POOL_EXHAUSTED"} without the field', handlers.json({ error: 'DB_POOL_EXHAUSTED' }, 500)],
    ['503 CIRCUIT_BREAKER_OPEN without the field', handlers.json({ error_code: 'CIRCUIT_BREAKER_OPEN' }, 503)],
    ['the field as a string "NaN"', handlers.json({ status: 'ok', database_pool: { state: { saturation: 'NaN' } } })],
    ['the field as an object', handlers.json({ status: 'ok', database_pool: { state: { saturation: { value: 0.4 } } } })],
    ['a connection reset', (_req, res) => res.socket?.destroy()],
  ];

  it('the corpus holds at least 10 malformed health answers', () => {
    expect(NODE_CASES.length).toBeGreaterThanOrEqual(10);
  });

  for (const [name, handler] of NODE_CASES) {
    it(`${name} -> never ok: the health or the field gate says so, the node is named`, async () => {
      const prom = await startFakeHttp((req, res) =>
        req.url?.startsWith('/api/v1/alerts')
          ? handlers.json({ status: 'success', data: { alerts: [] } })(req, res)
          : handlers.json({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, '0.01'] }] } })(req, res),
      );
      const good = await startFakeHttp(handlers.json({ status: 'ok', database_pool: { state: { saturation: 0.4 } } }));
      const bad = await startFakeHttp(handler);
      servers.push(prom, good, bad);
      const { engine, close } = engineFor(prom.url, [{ name: 'good', url: good.url }, { name: 'bad', url: bad.url }], { status: 'ok' });
      try {
        await engine.poll();
        const st = engine.getState();
        const health = st.gates.find((g) => g.id === 'health')!;
        const pool = st.gates.find((g) => g.id === 'pool')!;
        const badNode = st.nodes.find((n) => n.name === 'bad')!;
        expect(st.nodes.find((n) => n.name === 'good')!.up).toBe(true);
        expect(health.state === 'ok' && pool.state === 'ok').toBe(false);
        if (badNode.up === false) {
          // The node is down, named, and counted; its body (if any) may still hold the field as data.
          expect(badNode.last?.error ?? badNode.last?.errorCode).toBeTruthy();
          expect(health).toMatchObject({ state: 'failing', value: 1 });
        } else {
          expect(['error', 'no data']).toContain(pool.state);
        }
        if (pool.state !== 'ok') {
          expect(['error', 'no data']).toContain(pool.state);
          expect(pool.why).toMatch(/bad \(/);
          expect(pool.value).toBeNull();
        }
        expect(st.stages[0]!.promotable).toBe(false);
        expect(st.gates.find((g) => g.id === 'err')).toMatchObject({ state: 'ok' });
      } finally {
        await close();
      }
    });
  }
});
