import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpTransport, type UndiciTransport } from '../../src/sources/http.js';
import { HttpError } from '../../src/sources/types.js';
import { handlers, startFakeHttp, type FakeHttp, type Handler } from '../helpers/fake-http.js';
import { freePort, waitFor } from '../helpers/prometheus.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(handler: Handler, opts?: Parameters<typeof createHttpTransport>[0]): Promise<{ srv: FakeHttp; t: UndiciTransport }> {
  const srv = await startFakeHttp(handler);
  const t = createHttpTransport(opts);
  cleanups.push(() => srv.close(), () => t.close());
  return { srv, t };
}

async function failure(p: Promise<unknown>): Promise<HttpError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HttpError);
  return err as HttpError;
}

const get = (url: string, extra: Partial<Parameters<UndiciTransport['request']>[0]> = {}) => ({
  method: 'GET' as const,
  url,
  timeoutMs: 2_000,
  maxBytes: 1024 * 1024,
  ...extra,
});

describe('createHttpTransport', () => {
  it('returns status, body, lower-cased headers and latency', async () => {
    const { srv, t } = await setup((_req, res) => {
      res.setHeader('X-Custom-Thing', 'yes');
      res.end('hello');
    });
    const res = await t.request(get(`${srv.url}/a`, { headers: { 'X-Sent': '1' } }));
    expect(res.status).toBe(200);
    expect(res.body).toBe('hello');
    expect(res.headers['x-custom-thing']).toBe('yes');
    expect(res.latencyMs).toBeGreaterThanOrEqual(0);
    expect(srv.requests[0]?.headers['x-sent']).toBe('1');
  });

  it('sends a POST body as given', async () => {
    const { srv, t } = await setup((_req, res) => res.end('ok'));
    await t.request({ ...get(`${srv.url}/p`), method: 'POST', body: 'a=1&b=2', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(srv.requests[0]).toMatchObject({ method: 'POST', url: '/p', body: 'a=1&b=2' });
  });

  it('reuses keep-alive sockets for sequential requests', async () => {
    const { srv, t } = await setup((_req, res) => res.end('ok'));
    for (let i = 0; i < 20; i++) await t.request(get(srv.url));
    // undici may open a second socket while the first is being released; never one per request.
    expect(srv.acceptedConnections()).toBeLessThanOrEqual(2);
    expect(t.openSockets()).toBe(srv.acceptedConnections());
  });

  it('bounds the connections per origin', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const { srv, t } = await setup(
      (_req, res) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        setTimeout(() => {
          inFlight--;
          res.end('ok');
        }, 30);
      },
      { connections: 2 },
    );
    await Promise.all(Array.from({ length: 6 }, () => t.request(get(srv.url))));
    expect(maxInFlight).toBe(2);
    expect(await srv.openConnections()).toBeLessThanOrEqual(2);
  });

  it('times out on a server that never answers, within the timeout', async () => {
    const { srv, t } = await setup(handlers.hang());
    const started = Date.now();
    const err = await failure(t.request(get(srv.url, { timeoutMs: 200 })));
    expect(err.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('times out when the body stalls after the headers', async () => {
    const { srv, t } = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
    });
    const err = await failure(t.request(get(srv.url, { timeoutMs: 200 })));
    expect(err.kind).toBe('timeout');
  });

  it("reports the caller's abort as 'aborted'", async () => {
    const { srv, t } = await setup(handlers.hang());
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const err = await failure(t.request(get(srv.url, { signal: ac.signal })));
    expect(err.kind).toBe('aborted');
    const pre = new AbortController();
    pre.abort();
    expect((await failure(t.request(get(srv.url, { signal: pre.signal })))).kind).toBe('aborted');
  });

  it("reports a refused connection as 'unreachable'", async () => {
    const t = createHttpTransport();
    cleanups.push(() => t.close());
    const port = await freePort();
    const err = await failure(t.request(get(`http://127.0.0.1:${port}/x?secret=abc`)));
    expect(err.kind).toBe('unreachable');
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.message).not.toContain('secret=abc');
  });

  it("reports a socket closed mid-response as 'unreachable'", async () => {
    const { srv, t } = await setup((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('only some');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const err = await failure(t.request(get(srv.url)));
    expect(err.kind).toBe('unreachable');
  });

  it('stops a streamed body over maxBytes and releases the socket', async () => {
    const { srv, t } = await setup(handlers.huge(20));
    const started = Date.now();
    const err = await failure(t.request(get(srv.url, { maxBytes: 256 * 1024, timeoutMs: 5_000 })));
    expect(err.kind).toBe('too_large');
    expect(Date.now() - started).toBeLessThan(3_000);
    await waitFor(async () => (await srv.openConnections()) === 0 && t.openSockets() === 0, {
      timeoutMs: 2_000,
      what: 'the socket to close',
    });
  });

  it('refuses a declared content-length over maxBytes before reading', async () => {
    const { srv, t } = await setup((_req, res) => {
      res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
      res.write('x');
    });
    const err = await failure(t.request(get(srv.url, { maxBytes: 1024 })));
    expect(err.kind).toBe('too_large');
    expect(err.message).toContain('10485760');
  });

  it('keeps working after errors, and refuses requests once closed', async () => {
    const { srv, t } = await setup((req, res) => (req.url === '/hang' ? undefined : res.end('fine')));
    await failure(t.request(get(`${srv.url}/hang`, { timeoutMs: 100 })));
    expect((await t.request(get(`${srv.url}/ok`))).body).toBe('fine');
    await t.close();
    expect((await failure(t.request(get(`${srv.url}/ok`)))).kind).toBe('unreachable');
  });
  it("aborts every request under one caller's signal, with one listener on that signal however many requests", async () => {
    const { srv, t } = await setup(handlers.hang(), { connections: 40 });
    const ac = new AbortController();
    const pending = Array.from({ length: 40 }, () => failure(t.request(get(srv.url, { signal: ac.signal, timeoutMs: 10_000 }))));
    await waitFor(async () => (await srv.openConnections()) === 40, { timeoutMs: 5_000, what: '40 requests in flight' });
    // Before: one listener a request (40 here, a thousand in a node poll), each added and removed.
    expect(getEventListeners(ac.signal, 'abort').length).toBe(1);
    ac.abort();
    const errs = await Promise.all(pending);
    expect(errs.map((e) => e.kind)).toEqual(Array.from({ length: 40 }, () => 'aborted'));
  });

  it('a finished request under a signal is not touched by its later abort, and the next one still is', async () => {
    let hang = false;
    const { srv, t } = await setup((_req, res) => (hang ? undefined : res.end('done')));
    const ac = new AbortController();
    expect((await t.request(get(srv.url, { signal: ac.signal }))).body).toBe('done');
    hang = true;
    const p = failure(t.request(get(srv.url, { signal: ac.signal, timeoutMs: 10_000 })));
    setTimeout(() => ac.abort(), 30);
    expect((await p).kind).toBe('aborted');
  });

  it('reads a chunked body of no declared length whole, in order', async () => {
    const parts = Array.from({ length: 50 }, (_, i) => `${i}:${'é'.repeat(100)};`);
    const { srv, t } = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      let i = 0;
      const next = () => (i < parts.length ? res.write(parts[i++], () => setImmediate(next)) : res.end());
      next();
    });
    const r = await t.request(get(srv.url));
    expect(r.headers['content-length']).toBeUndefined();
    expect(r.body).toBe(parts.join(''));
  });

  it('counts open sockets across origins, and forgets those the server closes', async () => {
    const a = await setup((_req, res) => res.end('a'));
    const b = await startFakeHttp((_req, res) => res.end('b'));
    cleanups.push(() => b.close());
    await Promise.all([a.t.request(get(a.srv.url)), a.t.request(get(b.url))]);
    expect(a.t.openSockets()).toBe(2);
    await b.close();
    await waitFor(() => a.t.openSockets() === 1, { timeoutMs: 5_000, what: "the closed server's socket to be forgotten" });
  });
});
