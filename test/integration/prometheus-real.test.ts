/**
 * The Prometheus client against a REAL Prometheus (Debian's 2.42) scraping a
 * prom-client exporter this test controls. Prometheus only applies its scrape
 * targets ~5 s after start, so the first data takes that long; everything else
 * is quick.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { Engine } from '../../src/engine/engine.js';
import { planSchema } from '../../src/plan/schema.js';
import { createHttpTransport } from '../../src/sources/http.js';
import { createPromClient } from '../../src/sources/prometheus.js';
import { PromError, type PromClient } from '../../src/sources/types.js';
import { startPrometheus, waitFor, type RunningPrometheus } from '../helpers/prometheus.js';

const RULES = `
groups:
  - name: flightdeck-test
    rules:
      - alert: QueueDepthHigh
        expr: fd_queue_depth > 5
        for: 0s
        labels: { severity: page }
        annotations: { summary: "queue depth is {{ $value }}" }
`;

const registry = new Registry();
const depth = new Gauge({ name: 'fd_queue_depth', help: 'Queue depth', labelNames: ['shard'], registers: [registry] });
const requests = new Counter({ name: 'fd_requests_total', help: 'Requests', labelNames: ['code'], registers: [registry] });

const exporter = http.createServer((_req, res) => {
  registry.metrics().then(
    (text) => {
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(text);
    },
    () => {
      res.writeHead(500);
      res.end();
    },
  );
});

const transport = createHttpTransport();
let prom: RunningPrometheus | undefined;
let client: PromClient;

async function valueOf(expr: string): Promise<number | undefined> {
  return (await client.query(expr)).samples[0]?.value;
}

async function failure(p: Promise<unknown>): Promise<PromError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PromError);
  return err as PromError;
}

beforeAll(async () => {
  depth.set({ shard: 'a' }, 7);
  requests.inc({ code: '200' }, 3);
  await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', () => resolve()));
  const { port } = exporter.address() as AddressInfo;
  prom = await startPrometheus({ targets: [`127.0.0.1:${port}`], rules: RULES });
  client = createPromClient({ url: prom.url, transport, timeoutMs: 3_000 });
});

afterAll(async () => {
  await prom?.stop();
  await transport.close();
  exporter.closeAllConnections();
  await new Promise<void>((resolve) => exporter.close(() => resolve()));
});

describe('against a real Prometheus', () => {
  it('is ready', async () => {
    expect(await client.ready()).toBe(true);
  });

  it('returns the exporter gauge after a scrape', async () => {
    await waitFor(async () => (await valueOf('fd_queue_depth')) === 7, { timeoutMs: 15_000, what: 'fd_queue_depth = 7' });
    const r = await client.query('fd_queue_depth');
    expect(r.resultType).toBe('vector');
    expect(r.samples).toHaveLength(1);
    expect(r.samples[0]!.labels).toMatchObject({ __name__: 'fd_queue_depth', shard: 'a', job: 'test' });
    expect(Math.abs(r.samples[0]!.timestamp - Date.now())).toBeLessThan(10_000);
    expect(await valueOf('fd_requests_total{code="200"}')).toBe(3);
  });

  it('sees a firing alert from the rule file', async () => {
    const alert = await waitFor(
      async () => (await client.alerts()).find((a) => a.name === 'QueueDepthHigh' && a.state === 'firing'),
      { timeoutMs: 10_000, what: 'QueueDepthHigh firing' },
    );
    expect(alert.labels).toMatchObject({ severity: 'page', shard: 'a' });
    expect(alert.annotations.summary).toBe('queue depth is 7');
    expect(alert.value).toBe(7);
    expect(alert.activeAt).toBeGreaterThan(Date.now() - 60_000);
  });

  it('follows the gauge when it changes', async () => {
    depth.set({ shard: 'a' }, 2.5);
    await waitFor(async () => (await valueOf('fd_queue_depth')) === 2.5, { timeoutMs: 5_000, what: 'fd_queue_depth = 2.5' });
  });

  it('answers a scalar query', async () => {
    const r = await client.query('scalar(sum(fd_requests_total))');
    expect(r.resultType).toBe('scalar');
    expect(r.samples).toEqual([{ labels: {}, value: 3, timestamp: expect.any(Number) }]);
    expect((await client.query('1 / 0')).samples[0]!.value).toBe(Infinity);
  });

  it('answers an empty vector for a metric that does not exist', async () => {
    expect(await client.query('fd_does_not_exist_total')).toEqual({ resultType: 'vector', samples: [], warnings: [] });
  });

  it('sends a long query as a POST form that Prometheus accepts', async () => {
    const long = `sum(fd_requests_total)${' + 0'.repeat(700)}`;
    expect(long.length).toBeGreaterThan(2_000);
    expect(await valueOf(long)).toBe(3);
  });

  it('maps a bad query to bad_data and a failing one to execution', async () => {
    const bad = await failure(client.query('sum(fd_queue_depth'));
    expect(bad.kind).toBe('bad_data');
    expect(bad.status).toBe(400);
    expect(bad.message).toMatch(/parse error/);
    const exec = await failure(client.query('(vector(1) or label_replace(vector(1), "x", "y", "", "")) + on() vector(1)'));
    expect(exec.kind).toBe('execution');
  });

  it('lists the series', async () => {
    const series = await client.series(['fd_queue_depth', 'fd_requests_total'], { start: Date.now() - 60_000, end: Date.now() });
    expect(series).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ __name__: 'fd_queue_depth', shard: 'a', job: 'test' }),
        expect.objectContaining({ __name__: 'fd_requests_total', code: '200' }),
      ]),
    );
    expect(series).toHaveLength(2);
  });

  it('lists the alerting rules it has (/api/v1/rules)', async () => {
    const rules = await client.rules();
    expect(rules).toContainEqual(expect.objectContaining({ name: 'QueueDepthHigh', type: 'alerting', group: 'flightdeck-test', query: expect.any(String) }));
  });

  it('issue 11: real answers that hold no judgeable number, and a misspelt alert, through the engine: never ok', async () => {
    const plan = planSchema.parse({
      service: 'svc',
      prometheus: { url: prom!.url },
      stages: [
        {
          id: 'canary',
          gates: [
            { id: 'matrix', query: 'fd_requests_total[1m]', fail: '> 100' },
            { id: 'plus-inf', query: 'sum(fd_requests_total) / 0', fail: '> 100' },
            { id: 'minus-inf', query: '-sum(fd_requests_total) / 0', fail: '> 100' },
            { id: 'nan', query: 'sum(fd_requests_total) * 0 / 0', fail: '> 100' },
            { id: 'typo', alert: 'QueueDepthHi' },
            { id: 'real-alert', alert: 'QueueDepthHigh', fail: '> 5' },
          ],
        },
      ],
    });
    const engine = new Engine({ loaded: { plan, file: '/x/plan.yaml', dir: '/x' }, clock: systemClock, prometheus: client, nodes: null, readFile: async () => '', runCommand: async () => ({ exitCode: 0, timedOut: false, durationMs: 0, tail: '' }) });
    await engine.poll();
    const by = Object.fromEntries(engine.getState().gates.map((g) => [g.id, g]));
    expect(by.matrix).toMatchObject({ state: 'error', value: null });
    expect(by.matrix!.why).toMatch(/matrix/);
    expect(by['plus-inf']).toMatchObject({ state: 'error', value: null });
    expect(by['plus-inf']!.why).toMatch(/\+Inf/);
    expect(by['minus-inf']!.why).toMatch(/-Inf/);
    expect(by.nan).toMatchObject({ state: 'no data' });
    expect(by.typo).toMatchObject({ state: 'no data', blocks: true });
    expect(by.typo!.why).toMatch(/no alerting rule named QueueDepthHi/);
    expect(by['real-alert']!.state).toBe('ok'); // a rule Prometheus has: at most one alert, threshold > 5
  });

  it('reloads a changed rule file', async () => {
    await prom!.reload(RULES.replace('QueueDepthHigh', 'QueueDepthAny').replace('> 5', '>= 0'));
    await waitFor(async () => (await client.alerts()).some((a) => a.name === 'QueueDepthAny' && a.state === 'firing'), {
      timeoutMs: 8_000,
      what: 'QueueDepthAny firing',
    });
  });

  it('is unreachable once stopped', async () => {
    await prom!.stop();
    const err = await failure(client.query('fd_queue_depth'));
    expect(err.kind).toBe('unreachable');
    expect(await client.ready()).toBe(false);
  });
});
