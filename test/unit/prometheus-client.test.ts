import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpTransport, type UndiciTransport } from '../../src/sources/http.js';
import { createPromClient, MAX_GET_URL, parsePromNumber, resolvePromAuth, type PromClientOptions } from '../../src/sources/prometheus.js';
import { PromError, type PromErrorKind } from '../../src/sources/types.js';
import { handlers, startFakeHttp, type FakeHttp, type Handler } from '../helpers/fake-http.js';
import { freePort, waitFor } from '../helpers/prometheus.js';

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, '../../fixtures/prometheus', name), 'utf8');
const TOKEN = 'tok-4f9a2c7e1b-very-secret';

let transport: UndiciTransport;
beforeAll(() => {
  transport = createHttpTransport();
});
afterAll(() => transport.close());

const servers: FakeHttp[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function serve(handler: Handler, opts: Partial<PromClientOptions> = {}) {
  const srv = await startFakeHttp(handler);
  servers.push(srv);
  return { srv, prom: createPromClient({ url: srv.url, transport, timeoutMs: 2_000, ...opts }) };
}

async function promFailure(p: Promise<unknown>): Promise<PromError> {
  const err = await p.then(
    (v: unknown) => ({ resolved: v }),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PromError);
  return err as PromError;
}

describe('parsePromNumber', () => {
  it('parses floats and the special values, and nothing else', () => {
    expect(parsePromNumber('0.042')).toBe(0.042);
    expect(parsePromNumber('4.2e-02')).toBe(0.042);
    expect(parsePromNumber('-3')).toBe(-3);
    expect(parsePromNumber('NaN')).toBeNaN();
    expect(parsePromNumber('+Inf')).toBe(Infinity);
    expect(parsePromNumber('-Inf')).toBe(-Infinity);
    for (const bad of ['', ' ', 'abc', '1,5', '0x10', '1.2.3', 'true', ' 1']) expect(parsePromNumber(bad)).toBeUndefined();
  });
});

describe('query: recorded Prometheus answers', () => {
  it('parses a vector with labels, values and timestamps in ms', async () => {
    const { srv, prom } = await serve(handlers.json(fixture('query-vector.json')));
    const r = await prom.query('app_queue_depth', { time: 1_795_405_269_536 });
    expect(r.resultType).toBe('vector');
    expect(r.samples).toEqual([
      { labels: expect.objectContaining({ __name__: 'app_queue_depth', instance_role: 'canary', shard: 'a' }), value: 0.042, timestamp: 1_795_405_269_536 },
      { labels: expect.objectContaining({ instance_role: 'stable', shard: 'b' }), value: 0.017, timestamp: 1_795_405_269_536 },
    ]);
    expect(r.warnings).toEqual([]);
    const sent = new URL(srv.requests[0]!.url, srv.url);
    expect(srv.requests[0]!.method).toBe('GET');
    expect(sent.pathname).toBe('/api/v1/query');
    expect(sent.searchParams.get('query')).toBe('app_queue_depth');
    expect(sent.searchParams.get('time')).toBe('1795405269.536');
  });

  it('parses an empty vector as no samples', async () => {
    const { prom } = await serve(handlers.json(fixture('query-vector-empty.json')));
    expect(await prom.query('does_not_exist_total')).toEqual({ resultType: 'vector', samples: [], warnings: [] });
  });

  it('parses a scalar', async () => {
    const { prom } = await serve(handlers.json(fixture('query-scalar.json')));
    const r = await prom.query('scalar(sum(app_queue_depth))');
    expect(r.resultType).toBe('scalar');
    expect(r.samples).toEqual([{ labels: {}, value: 0.059000000000000004, timestamp: 1_795_405_269_547 }]);
  });

  it('takes the last point of each matrix series', async () => {
    const { prom } = await serve(handlers.json(fixture('query-matrix.json')));
    const r = await prom.query('app_queue_depth[3s]');
    expect(r.resultType).toBe('matrix');
    expect(r.samples.map((s) => [s.labels.shard, s.value])).toEqual([
      ['a', 0.042],
      ['b', 0.017],
    ]);
    const m = JSON.parse(fixture('query-matrix.json')) as { data: { result: Array<{ values: [number, string][] }> } };
    expect(r.samples[0]!.timestamp).toBe(Math.round(m.data.result[0]!.values.at(-1)![0] * 1000));
  });

  it('parses NaN, +Inf and -Inf', async () => {
    const { prom } = await serve(handlers.json(fixture('query-special-values.json')));
    const byLabel = Object.fromEntries((await prom.query('x')).samples.map((s) => [s.labels.v, s.value]));
    expect(byLabel.nan).toBeNaN();
    expect(byLabel.pinf).toBe(Infinity);
    expect(byLabel.ninf).toBe(-Infinity);
  });

  it('answers a string result that is not a number with no samples and a warning', async () => {
    const { prom } = await serve(handlers.json(fixture('query-string.json')));
    const r = await prom.query('"hello"');
    expect(r).toMatchObject({ resultType: 'string', samples: [] });
    expect(r.warnings).toEqual(['string result is not a number: "hello"']);
  });

  it('keeps warnings and merges infos into them', async () => {
    const { prom } = await serve(handlers.json(fixture('query-warnings.json')));
    const r = await prom.query('x');
    expect(r.samples[0]!.value).toBe(0.031);
    expect(r.warnings).toHaveLength(2);
    expect(r.warnings[0]).toMatch(/^remote read: store eu-west-2/);
    expect(r.warnings[1]).toMatch(/^PromQL info/);
  });

  it('refuses native histogram samples as malformed rather than inventing a number', async () => {
    const { prom } = await serve(handlers.json(fixture('query-native-histogram.json')));
    const err = await promFailure(prom.query('x'));
    expect(err.kind).toBe('malformed');
    expect(err.message).toContain('native histograms');
  });
});

describe('query: error envelopes and statuses', () => {
  const cases: Array<[string, Handler, PromErrorKind, number | undefined, RegExp]> = [
    ['400 bad_data (recorded)', handlers.json(fixture('error-bad-data.json'), 400), 'bad_data', 400, /unclosed left parenthesis/],
    ['422 execution (recorded)', handlers.json(fixture('error-execution.json'), 422), 'execution', 422, /many-to-one matching/],
    ['400 bad_data (canned)', handlers.badData(), 'bad_data', 400, /parse error/],
    ['422 execution (canned)', handlers.execution(), 'execution', 422, /too many samples/],
    ['503 timeout envelope', handlers.timeoutEnvelope(), 'timeout', 503, /timed out/],
    ['503 Service Unavailable text', handlers.serviceUnavailable(), 'unavailable', 503, /503 Service Unavailable/],
    ['429 Too Many Requests', handlers.tooManyRequests(), 'http', 429, /HTTP 429/],
    ['502 HTML page', handlers.htmlPage(502), 'http', 502, /HTTP 502/],
  ];
  for (const [name, handler, kind, status, msg] of cases) {
    it(`${name} -> ${kind}`, async () => {
      const { prom } = await serve(handler);
      const err = await promFailure(prom.query('up'));
      expect(err.kind).toBe(kind);
      expect(err.status).toBe(status);
      expect(err.message).toMatch(msg);
    });
  }
});

describe('query: the malformed corpus', () => {
  const vector = (result: unknown) => ({ status: 'success', data: { resultType: 'vector', result } });
  const cases: Array<[string, Handler, RegExp]> = [
    ['HTML page with 200', handlers.htmlPage(200), /HTML page/],
    ['truncated JSON', handlers.truncatedJson(), /truncated or invalid JSON/],
    ['value as ["0.5", ts]', handlers.wrongTypes(), /result\[0\]\.value/],
    ['empty body', handlers.json(''), /empty body/],
    ['plain text', handlers.json('all good'), /text "all good"/],
    ['JSON that is not an envelope', handlers.json({ hello: 'world' }), /not a Prometheus API response/],
    ['JSON array', handlers.json([1, 2]), /not a Prometheus API response/],
    ['JSON null', handlers.json('null'), /not a Prometheus API response/],
    ['success without data', handlers.json({ status: 'success' }), /no data/],
    ['result not an array', handlers.json({ status: 'success', data: { resultType: 'vector', result: { a: 1 } } }), /result/],
    ['unknown resultType', handlers.json({ status: 'success', data: { resultType: 'table', result: [] } }), /resultType/],
    ['value missing', handlers.json(vector([{ metric: {} }])), /no float value/],
    ['value a number, not a string', handlers.json(vector([{ metric: {}, value: [1, 0.5] }])), /value/],
    ['value pair too long', handlers.json(vector([{ metric: {}, value: [1, '0.5', 'x'] }])), /value/],
    ['value string not a number', handlers.json(vector([{ metric: {}, value: [1, 'lots'] }])), /not a number: "lots"/],
    ['value empty string', handlers.json(vector([{ metric: {}, value: [1, ''] }])), /not a number/],
    ['label value not a string', handlers.json(vector([{ metric: { a: 1 }, value: [1, '1'] }])), /metric/],
    ['metric missing', handlers.json(vector([{ value: [1, '1'] }])), /metric/],
    ['scalar not a pair', handlers.json({ status: 'success', data: { resultType: 'scalar', result: '1' } }), /result/],
    ['matrix point a string', handlers.json({ status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: [[1, 'NaNa']] }] } }), /not a number/],
  ];
  for (const [name, handler, msg] of cases) {
    it(`${name} -> malformed`, async () => {
      const { prom } = await serve(handler);
      const err = await promFailure(prom.query('up'));
      expect(err.kind).toBe('malformed');
      expect(err.message).toMatch(msg);
      expect(err.message.length).toBeLessThan(300);
    });
  }
});

describe('query: transport', () => {
  it('sends a long query as a POST form, and a short one as GET', async () => {
    const { srv, prom } = await serve(handlers.json(fixture('query-vector-empty.json')));
    const long = `sum(rate(x{${Array.from({ length: 120 }, (_, i) => `l${i}="v${i}"`).join(',')}}[5m])) / 1`;
    await prom.query(long, { time: 1_700_000_000_000 });
    await prom.query('up');
    const [post, get] = srv.requests;
    expect(`${srv.url}/api/v1/query?query=${encodeURIComponent(long)}`.length).toBeGreaterThan(MAX_GET_URL);
    expect(post!.method).toBe('POST');
    expect(post!.url).toBe('/api/v1/query');
    expect(post!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(post!.body);
    expect(form.get('query')).toBe(long);
    expect(form.get('time')).toBe('1700000000');
    expect(get!.method).toBe('GET');
  });

  it('sends the bearer token and custom headers on every request, and keeps the token out of errors', async () => {
    const echo: Handler = (req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: `rejected ${req.headers.authorization ?? ''}` }));
    };
    const { srv, prom } = await serve(echo, { token: TOKEN, headers: { 'X-Scope-OrgID': 'tenant-a' } });
    const err = await promFailure(prom.query('up'));
    expect(err.message).not.toContain(TOKEN);
    expect(err.message).toContain('rejected Bearer ***');
    await prom.ready();
    await promFailure(prom.alerts());
    expect(srv.requests).toHaveLength(3);
    for (const r of srv.requests) {
      expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(r.headers['x-scope-orgid']).toBe('tenant-a');
    }
  });

  it("reports a hanging server as 'timeout' within the timeout", async () => {
    const { prom } = await serve(handlers.hang(), { timeoutMs: 300 });
    const started = Date.now();
    const err = await promFailure(prom.query('up'));
    expect(err.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it("stops a huge body with 'too_large' and releases the socket", async () => {
    const t = createHttpTransport();
    try {
      const { srv, prom } = await serve(handlers.huge(20), { transport: t, maxBytes: 1024 * 1024, timeoutMs: 5_000 });
      const err = await promFailure(prom.query('up'));
      expect(err.kind).toBe('too_large');
      await waitFor(async () => (await srv.openConnections()) === 0 && t.openSockets() === 0, { timeoutMs: 2_000, what: 'socket release' });
    } finally {
      await t.close();
    }
  });

  it("reports a refused connection as 'unreachable'", async () => {
    const prom = createPromClient({ url: `http://127.0.0.1:${await freePort()}`, transport, timeoutMs: 1_000, token: TOKEN });
    const err = await promFailure(prom.query('up'));
    expect(err.kind).toBe('unreachable');
    expect(err.message).not.toContain(TOKEN);
    expect(await prom.ready()).toBe(false);
  });
});

describe('queryRange', () => {
  it('asks for the step it was given, to the millisecond (a 1.5 s step is not rounded to 2 s: the steps are mapped back on that grid)', async () => {
    const matrix = { status: 'success', data: { resultType: 'matrix', result: [] } };
    const { srv, prom } = await serve(handlers.json(matrix));
    await prom.queryRange('up', { start: 1_700_000_000_000, end: 1_700_000_006_000, stepMs: 1_500 });
    await prom.queryRange('up', { start: 1_700_000_000_000, end: 1_700_000_006_000, stepMs: 2_000 });
    const params = srv.requests.map((r) => new URL(r.url, 'http://x').searchParams);
    expect(params.map((p) => [p.get('start'), p.get('end'), p.get('step')])).toEqual([
      ['1700000000', '1700000006', '1.5'],
      ['1700000000', '1700000006', '2'],
    ]);
  });
});

describe('alerts, series, ready', () => {
  it('parses recorded alerts', async () => {
    const { srv, prom } = await serve(handlers.json(fixture('alerts.json')));
    const alerts = await prom.alerts();
    expect(srv.requests[0]!.url).toBe('/api/v1/alerts');
    expect(alerts).toEqual([
      {
        name: 'QueueDepthHigh',
        state: 'firing',
        labels: expect.objectContaining({ alertname: 'QueueDepthHigh', severity: 'page' }),
        annotations: { summary: 'queue depth 0.042' },
        activeAt: Date.parse('2026-11-23T03:41:07.730Z'),
        value: 0.042,
      },
      expect.objectContaining({ name: 'ErrorsPending', state: 'pending', annotations: {}, value: 3 }),
    ]);
  });

  it('refuses alerts with a bad state, time or value', async () => {
    const alert = (over: object) => ({ status: 'success', data: { alerts: [{ labels: { alertname: 'A' }, annotations: {}, state: 'firing', ...over }] } });
    for (const [body, msg] of [
      [alert({ state: 'burning' }), /state/],
      [alert({ activeAt: 'yesterday' }), /activeAt is not a time/],
      [alert({ value: 'high' }), /value is not a number/],
      [alert({ labels: { severity: 'page' } }), /no alertname/],
      [{ status: 'success', data: { alerts: null } }, /alerts/],
    ] as const) {
      const { prom } = await serve(handlers.json(body));
      const err = await promFailure(prom.alerts());
      expect(err.kind).toBe('malformed');
      expect(err.message).toMatch(msg);
    }
  });

  it('sends every match[] selector and the time range to /api/v1/series', async () => {
    const { srv, prom } = await serve(handlers.json(fixture('series.json')));
    const series = await prom.series(['app_queue_depth', 'up{job="x"}'], { start: 1_000_000, end: 2_000_500 });
    expect(series).toHaveLength(2);
    expect(series[0]).toMatchObject({ __name__: 'app_queue_depth', shard: 'a' });
    const sent = new URL(srv.requests[0]!.url, srv.url);
    expect(sent.pathname).toBe('/api/v1/series');
    expect(sent.searchParams.getAll('match[]')).toEqual(['app_queue_depth', 'up{job="x"}']);
    expect(sent.searchParams.get('start')).toBe('1000');
    expect(sent.searchParams.get('end')).toBe('2000.5');
  });

  it('refuses malformed series data', async () => {
    const { prom } = await serve(handlers.json({ status: 'success', data: [{ __name__: 5 }] }));
    expect((await promFailure(prom.series(['x']))).kind).toBe('malformed');
  });

  it('lists rules from /api/v1/rules with their type and group, and refuses a malformed answer', async () => {
    const body = {
      status: 'success',
      data: {
        groups: [
          { name: 'g1', file: 'r.yml', rules: [{ name: 'ServiceDown', type: 'alerting', query: 'up == 0', state: 'inactive', alerts: [] }] },
          { name: 'g2', file: 'r.yml', rules: [{ name: 'job:x:rate5m', type: 'recording', query: 'sum(rate(x[5m]))' }] },
        ],
      },
    };
    const { srv, prom } = await serve(handlers.json(body));
    expect(await prom.rules({ type: 'alert' })).toEqual([
      { name: 'ServiceDown', type: 'alerting', group: 'g1', query: 'up == 0' },
      { name: 'job:x:rate5m', type: 'recording', group: 'g2', query: 'sum(rate(x[5m]))' },
    ]);
    const sent = new URL(srv.requests[0]!.url, srv.url);
    expect(sent.pathname).toBe('/api/v1/rules');
    expect(sent.searchParams.get('type')).toBe('alert');
    const bad = await serve(handlers.json({ status: 'success', data: { groups: [{ name: 'g', rules: [{ name: 'X', type: 'weird', query: 'up' }] }] } }));
    expect((await promFailure(bad.prom.rules())).kind).toBe('malformed');
  });

  it('ready() is true only on 200 and never throws', async () => {
    const ok = await serve((_req, res) => res.end('Prometheus Server is Ready.'));
    expect(await ok.prom.ready()).toBe(true);
    expect(ok.srv.requests[0]!.url).toBe('/-/ready');
    const starting = await serve(handlers.serviceUnavailable());
    expect(await starting.prom.ready()).toBe(false);
    const hanging = await serve(handlers.hang(), { timeoutMs: 100 });
    expect(await hanging.prom.ready()).toBe(false);
  });

  it('joins paths onto a URL with a prefix and a trailing slash', async () => {
    const srv = await startFakeHttp(handlers.json(fixture('query-vector-empty.json')));
    servers.push(srv);
    const prom = createPromClient({ url: `${srv.url}/prometheus/`, transport, timeoutMs: 1_000 });
    await prom.query('up');
    expect(srv.requests[0]!.url.startsWith('/prometheus/api/v1/query?')).toBe(true);
  });
});

describe('resolvePromAuth', () => {
  const files: Record<string, string> = { '/etc/fd/token': `${TOKEN}\n`, '/plan/dir/org': 'tenant-b\n', '/etc/fd/empty': '\n' };
  const read = (p: string): string => {
    const v = files[p];
    if (v === undefined) throw Object.assign(new Error(`ENOENT: no such file, open '${p}'`), { code: 'ENOENT' });
    return v;
  };

  it('resolves the token from env or file and headers from refs', () => {
    expect(resolvePromAuth({ tokenEnv: 'PROM_TOKEN' }, { PROM_TOKEN: TOKEN }, read)).toEqual({ token: TOKEN, headers: {} });
    expect(
      resolvePromAuth({ tokenFile: '/etc/fd/token', headers: { 'X-Scope-OrgID': { file: 'org' }, 'X-Env': { env: 'H' } } }, { H: 'h1' }, read, '/plan/dir'),
    ).toEqual({ token: TOKEN, headers: { 'X-Scope-OrgID': 'tenant-b', 'X-Env': 'h1' } });
    expect(resolvePromAuth(undefined, {}, read)).toEqual({ headers: {} });
  });

  it('names the missing variable or file, never a value', () => {
    expect(() => resolvePromAuth({ tokenEnv: 'PROM_TOKEN' }, {}, read)).toThrow(/environment variable PROM_TOKEN is not set/);
    expect(() => resolvePromAuth({ tokenFile: '/nope' }, {}, read)).toThrow(/cannot read file \/nope \(ENOENT\)/);
    expect(() => resolvePromAuth({ tokenFile: '/etc/fd/empty' }, {}, read)).toThrow(/file \/etc\/fd\/empty is empty/);
    expect(() => resolvePromAuth({ headers: { 'X-A': { env: 'A' } } }, {}, read)).toThrow(/header X-A: environment variable A/);
    let msg = '';
    try {
      resolvePromAuth({ tokenEnv: 'PROM_TOKEN' }, { PROM_TOKEN: `${TOKEN}\nX-Evil: 1` }, read);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/line break/);
    expect(msg).not.toContain(TOKEN);
  });
});
