/**
 * promlite's HTTP API on loopback, answering the very queries recorded from a
 * real Prometheus 2.42 in fixtures/prometheus/ over the same data: the bodies
 * must match. Then the real client (createPromClient) against it: GET and
 * POST queries, ranges, series, alerts, ready, errors.
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { createRuleEvaluator, type RuleEvaluator } from '../../src/demo/promlite/alerting.js';
import { startPromLite, type PromLite } from '../../src/demo/promlite/server.js';
import { createSeriesStore } from '../../src/demo/promlite/store.js';
import { createHttpTransport } from '../../src/sources/http.js';
import { createPromClient } from '../../src/sources/prometheus.js';
import { PromError, type PromClient } from '../../src/sources/types.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/prometheus');
const fixture = (name: string): unknown => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

const ms = (sec: number): number => Math.round(sec * 1000);
const INSTANCE = '127.0.0.1:39753';
const RULES = `
groups:
  - name: fixture
    rules:
      - alert: QueueDepthHigh
        expr: app_queue_depth > 0.03
        for: 0s
        labels: { severity: page }
        annotations: { summary: "queue depth {{ $value }}" }
      - alert: ErrorsPending
        expr: app_requests_total{code="500"} > 0
        for: 1h
`;

// Rules evaluate every second from 1795405267.73 (2026-11-23T03:41:07.73Z, the recorded activeAt).
const clock = new ManualClock(ms(1795405266.73));
const store = createSeriesStore({ clock, retentionMs: 3_600_000 });
const transport = createHttpTransport();
let server: PromLite;
let rules: RuleEvaluator;
let client: PromClient;

function get(path: string, method = 'GET', body?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${server.url}${path}`, { method, agent: false, headers: body ? { 'content-type': 'application/x-www-form-urlencoded' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const query = async (q: string, time?: number) => get(`/api/v1/query?${new URLSearchParams({ query: q, ...(time !== undefined ? { time: String(time) } : {}) })}`);

beforeAll(async () => {
  for (const [role, shard, v] of [
    ['canary', 'a', 0.042],
    ['stable', 'b', 0.017],
  ] as const) {
    for (const t of [1795405266.159, 1795405267.159, 1795405268.159, 1795405269.159]) {
      store.append({ __name__: 'app_queue_depth', instance: INSTANCE, instance_role: role, job: 'app', shard }, ms(t), v);
    }
  }
  store.append({ __name__: 'app_requests_total', code: '500', instance: INSTANCE, job: 'app' }, ms(1795405266.159), 3);
  rules = createRuleEvaluator({ rules: RULES, store, clock, intervalMs: 1000 });
  await clock.advanceTo(ms(1795405269.536));
  server = await startPromLite({ store, rules, clock });
  client = createPromClient({ url: server.url, transport, timeoutMs: 3000 });
});

afterAll(async () => {
  rules.stop();
  await transport.close();
  await server.close();
});

describe('the recorded Prometheus answers', () => {
  it('instant vector', async () => {
    const r = await query('app_queue_depth', 1795405269.536);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(JSON.parse(r.body)).toEqual(fixture('query-vector.json'));
  });

  it('evaluates at the clock when no time is given', async () => {
    expect(JSON.parse((await query('app_queue_depth')).body)).toEqual(fixture('query-vector.json'));
  });

  it('empty vector, scalar, string, matrix', async () => {
    expect(JSON.parse((await query('does_not_exist_total', 1795405269.536)).body)).toEqual(fixture('query-vector-empty.json'));
    expect(JSON.parse((await query('scalar(sum(app_queue_depth))', 1795405269.547)).body)).toEqual(fixture('query-scalar.json'));
    expect(JSON.parse((await query('"hello"', 1795405269.556)).body)).toEqual(fixture('query-string.json'));
    expect(JSON.parse((await query('app_queue_depth[3s]', 1795405269.547)).body)).toEqual(fixture('query-matrix.json'));
  });

  it('NaN and ±Inf values', async () => {
    store.append({ __name__: 'special', v: 'nan' }, ms(1795405269), NaN);
    store.append({ __name__: 'special', v: 'pinf' }, ms(1795405269), Infinity);
    store.append({ __name__: 'special', v: 'ninf' }, ms(1795405269), -Infinity);
    const got = JSON.parse((await query('special * 1', 1795405269.559)).body) as { data: { result: unknown[] } };
    const want = fixture('query-special-values.json') as { data: { result: unknown[] } };
    expect(got.data.result).toEqual(expect.arrayContaining(want.data.result));
    expect(got.data.result).toHaveLength(3);
  });

  it('series', async () => {
    const r = await get(`/api/v1/series?${new URLSearchParams({ 'match[]': 'app_queue_depth' })}`);
    expect(JSON.parse(r.body)).toEqual(fixture('series.json'));
  });

  it('bad_data, byte for byte', async () => {
    const r = await query('sum(app_queue_depth', 1795405269.536);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toEqual(fixture('error-bad-data.json'));
  });

  it('execution errors are 422', async () => {
    store.append({ __name__: 'dup', a: '1', b: 'x' }, ms(1795405269), 1);
    store.append({ __name__: 'dup', a: '1', b: 'y' }, ms(1795405269), 1);
    store.append({ __name__: 'one', a: '1' }, ms(1795405269), 1);
    const r = await query('dup + on(a) one', 1795405269.536);
    expect(r.status).toBe(422);
    expect(JSON.parse(r.body)).toEqual(fixture('error-execution.json'));
  });

  it('alerts: firing with for 0s, pending with for 1h', async () => {
    const r = await get('/api/v1/alerts');
    const got = JSON.parse(r.body) as { data: { alerts: Array<{ activeAt: string }> } };
    const want = fixture('alerts.json') as { data: { alerts: Array<{ activeAt: string }> } };
    for (const a of got.data.alerts) expect(a.activeAt).toBe('2026-11-23T03:41:07.73Z');
    for (const a of want.data.alerts) a.activeAt = '2026-11-23T03:41:07.73Z';
    expect(got).toEqual(want);
  });
});

describe('the real client against promlite', () => {
  it('is ready and healthy, and says what it is', async () => {
    expect(await client.ready()).toBe(true);
    expect((await get('/-/healthy')).status).toBe(200);
    const info = JSON.parse((await get('/api/v1/status/buildinfo')).body) as { data: { version: string } };
    expect(info.data.version).toBe('flightdeck-promlite');
  });

  it('queries by GET and, for long queries, by POST form', async () => {
    const t = ms(1795405269.536);
    const short = await client.query('sum(app_queue_depth)', { time: t });
    expect(short.samples).toEqual([{ labels: {}, value: 0.059000000000000004, timestamp: t }]);
    // Long by a label regex, not by 700 chained "+ 0": the lezer grammar (like Prometheus's web UI) gives up on
    // more than ~300 left-associative operators spanning 2,000 characters (@lezer/lr MaxLeftAssociativeReductionCount).
    const long = `sum(app_queue_depth{instance!~"${Array.from({ length: 300 }, (_, i) => `no-such-host-${i}`).join('|')}"}) + 0`;
    expect(long.length).toBeGreaterThan(2000);
    const res = await client.query(long, { time: t });
    expect(res.samples[0]!.value).toBeCloseTo(0.059, 12);
    const post = await get('/api/v1/query', 'POST', new URLSearchParams({ query: 'count(app_queue_depth)', time: '1795405269.536' }).toString());
    expect(JSON.parse(post.body)).toEqual({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1795405269.536, '2'] }] } });
  });

  it('range queries step through time', async () => {
    const series = await client.queryRange('app_queue_depth{shard="a"}', { start: ms(1795405267), end: ms(1795405269), stepMs: 1000 });
    expect(series).toHaveLength(1);
    expect(series[0]!.values.map((s) => [s.timestamp, s.value])).toEqual([
      [ms(1795405267), 0.042],
      [ms(1795405268), 0.042],
      [ms(1795405269), 0.042],
    ]);
  });

  it('series within a time range', async () => {
    const all = await client.series(['app_queue_depth', 'app_requests_total'], { start: ms(1795405260), end: ms(1795405270) });
    expect(all.map((s) => s.__name__)).toEqual(['app_queue_depth', 'app_queue_depth', 'app_requests_total']);
    expect(await client.series(['app_queue_depth'], { start: ms(1795405000), end: ms(1795405100) })).toEqual([]);
  });

  it('alerts parse through the client', async () => {
    const alerts = await client.alerts();
    expect(alerts.map((a) => [a.name, a.state, a.value])).toEqual([
      ['QueueDepthHigh', 'firing', 0.042],
      ['ErrorsPending', 'pending', 3],
    ]);
    expect(alerts[0]!.activeAt).toBe(Date.parse('2026-11-23T03:41:07.730Z'));
  });

  it('rules parse through the client, so validate --online and the start-up check work against the demo', async () => {
    expect(await client.rules({ type: 'alert' })).toEqual([
      { name: 'QueueDepthHigh', type: 'alerting', group: 'fixture', query: 'app_queue_depth > 0.03' },
      { name: 'ErrorsPending', type: 'alerting', group: 'fixture', query: 'app_requests_total{code="500"} > 0' },
    ]);
    expect(await client.rules({ type: 'record' })).toEqual([]);
  });

  it('bad queries and parameters come back as PromError bad_data', async () => {
    const err = await client.query('rate(app_queue_depth)').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PromError);
    expect((err as PromError).kind).toBe('bad_data');
    expect((err as PromError).message).toContain('expected type range vector in call to function "rate", got instant vector');
    const badTime = await get('/api/v1/query?query=1&time=abc');
    expect(JSON.parse(badTime.body)).toEqual({
      status: 'error',
      errorType: 'bad_data',
      error: 'invalid parameter "time": Invalid time value for \'time\': cannot parse "abc" to a valid timestamp',
    });
    const badRange = await get('/api/v1/query_range?query=1&start=1&end=0&step=1');
    expect(JSON.parse(badRange.body).error).toBe('invalid parameter "end": end timestamp must not be before start time');
    expect(JSON.parse((await get('/api/v1/query_range?query=1&start=1&end=3')).body).error).toBe('invalid parameter "step": cannot parse "" to a valid duration');
    expect(JSON.parse((await get('/api/v1/series')).body).error).toBe('no match[] parameter provided');
  });

  it('unknown paths are 404, wrong methods 405', async () => {
    const r = await get('/api/v1/nope');
    expect([r.status, r.body]).toEqual([404, '404 page not found\n']);
    const m = await get('/api/v1/query', 'DELETE');
    expect(m.status).toBe(405);
    expect(m.headers.allow).toBe('GET, OPTIONS, POST');
  });
});
