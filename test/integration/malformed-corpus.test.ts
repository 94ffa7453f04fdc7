/**
 * Broken answers, through the real transport and clients into the engine:
 * every malformed Prometheus answer makes the affected gate `error`, every
 * malformed node answer makes that node down; never a crash, never a pass.
 */
import { afterEach, describe, expect, it } from 'vitest';
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

const PROM_CASES: Array<[string, Handler]> = [
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
];

function engineFor(promUrl: string, nodes: Array<{ name: string; url: string }> = []) {
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
            ...(nodes.length ? [{ id: 'health', health: {} }, { id: 'pool', healthField: 'database_pool.state.saturation', fail: '>= 0.9' }] : []),
          ],
        },
      ],
    }),
    file: '/x/plan.yaml',
    dir: '/x',
  };
  const transport = createHttpTransport();
  const prometheus = createPromClient({ url: promUrl, transport, timeoutMs: 1_000, maxBytes: 1_000_000 });
  const poller = nodes.length ? createNodePoller({ nodes: loaded.plan.nodes, transport, clock: systemClock, timeoutMs: 1_000, concurrency: 8, breaker: { failures: 3, cooldown: 30_000 }, maxBytes: 1_000_000 }) : null;
  const engine = new Engine({ loaded, clock: systemClock, prometheus, nodes: poller, readFile: async () => '', runCommand: async () => ({ exitCode: 0, timedOut: false, durationMs: 0, tail: '' }) });
  return { engine, close: async () => { await poller?.close(); await transport.close(); } };
}

describe('malformed Prometheus answers', () => {
  for (const [name, handler] of PROM_CASES) {
    it(`${name} -> the gate is error, never ok`, async () => {
      const srv = await startFakeHttp((req, res) => (req.url?.startsWith('/api/v1/alerts') ? handlers.json({ status: 'success', data: { alerts: [] } })(req, res) : handler(req, res)));
      servers.push(srv);
      const { engine, close } = engineFor(srv.url);
      try {
        await engine.poll();
        const g = engine.getState().gates[0]!;
        expect(g.state).toBe('error');
        expect(g.blocks).toBe(true);
        expect(g.why.length).toBeGreaterThan(5);
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
  ];
  it('each broken node is down, fails the health gate, and gives the field gate no value; the healthy node still counts', async () => {
    const prom = await startFakeHttp((req, res) =>
      req.url?.startsWith('/api/v1/alerts')
        ? handlers.json({ status: 'success', data: { alerts: [] } })(req, res)
        : handlers.json({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, '0.01'] }] } })(req, res),
    );
    servers.push(prom);
    const good = await startFakeHttp(handlers.json({ status: 'ok', database_pool: { state: { saturation: 0.4 } } }));
    servers.push(good);
    const bad = await Promise.all(NODE_CASES.map(([, h]) => startFakeHttp(h)));
    servers.push(...bad);
    const nodes = [{ name: 'good', url: good.url }, ...bad.map((s, i) => ({ name: `bad-${i}`, url: s.url }))];
    const { engine, close } = engineFor(prom.url, nodes);
    try {
      await engine.poll();
      const st = engine.getState();
      expect(st.nodes.map((n) => [n.name, n.up])).toEqual(nodes.map((n) => [n.name, n.name === 'good']));
      for (const n of st.nodes.filter((x) => x.name !== 'good')) expect(n.last?.error ?? n.last?.errorCode).toBeTruthy();
      expect(st.gates.find((g) => g.id === 'health')).toMatchObject({ state: 'failing', value: NODE_CASES.length });
      expect(st.gates.find((g) => g.id === 'pool')).toMatchObject({ state: 'ok', value: 0.4 });
      expect(st.gates.find((g) => g.id === 'err')).toMatchObject({ state: 'ok' });
    } finally {
      await close();
    }
  });
});
