import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import type { NodeSpec } from '../../src/plan/schema.js';
import { createNodePoller, judge } from '../../src/sources/nodes.js';
import { HttpError, type NodePoller, type NodeProbe } from '../../src/sources/types.js';
import { FakeTransport, type FakeHandler } from '../helpers/fake-transport.js';

function nodes(n: number): NodeSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `web-${i + 1}`,
    url: `http://web-${i + 1}.test:8080/`,
    health: '/health',
    deep: '/health/deep',
  }));
}

function setup(handler: FakeHandler, opts: { n?: number; failures?: number; cooldown?: number; concurrency?: number; timeoutMs?: number } = {}) {
  const clock = new ManualClock();
  const transport = new FakeTransport(handler, clock);
  const poller = createNodePoller({
    nodes: nodes(opts.n ?? 1),
    transport,
    clock,
    timeoutMs: opts.timeoutMs ?? 3000,
    concurrency: opts.concurrency ?? 8,
    breaker: { failures: opts.failures ?? 3, cooldown: opts.cooldown ?? 30_000 },
    maxBytes: 64 * 1024,
  });
  return { clock, transport, poller };
}

async function pollOne(poller: NodePoller, deep = false): Promise<NodeProbe> {
  const [probe] = await poller.poll({ deep });
  return probe!;
}

const healthy = { status: 'ok', degraded_reason: '', database_pool: { state: { saturation: 0.42 } } };

describe('node poller: reading health', () => {
  it('a 2xx JSON ok body is up, and the probe keeps status, latency and body', async () => {
    const { poller, transport } = setup(() => ({ body: healthy }));
    const p = await pollOne(poller);
    expect(p).toMatchObject({ node: 'web-1', sent: true, ok: true, status: 200, body: healthy });
    expect(transport.requests[0]!.url).toBe('http://web-1.test:8080/health');
    expect(transport.requests[0]!.timeoutMs).toBe(3000);
    expect(transport.requests[0]!.maxBytes).toBe(64 * 1024);
    const [s] = poller.status();
    expect(s).toMatchObject({ name: 'web-1', up: true, consecutiveFailures: 0, breaker: 'closed', lastBody: healthy });
    expect(s!.lastOkAt).toBe(p.at);
  });

  it('status() says up: null before the first probe', () => {
    const { poller } = setup(() => ({ body: healthy }), { n: 2 });
    expect(poller.status().map((s) => s.up)).toEqual([null, null]);
  });

  it('deep polls use the deep path, and fall back to health when a node has none', async () => {
    const clock = new ManualClock();
    const transport = new FakeTransport(() => ({ body: healthy }), clock);
    const specs: NodeSpec[] = [
      { name: 'a', url: 'http://a:1', health: '/health', deep: '/health/deep' },
      { name: 'b', url: 'http://b:1', health: '/healthz' },
    ];
    const poller = createNodePoller({ nodes: specs, transport, clock, timeoutMs: 1000, concurrency: 2, breaker: { failures: 3, cooldown: 1000 } });
    await poller.poll({ deep: true });
    expect(transport.requests.map((r) => r.url).sort()).toEqual(['http://a:1/health/deep', 'http://b:1/healthz']);
  });

  it('degraded is still ok and the reason is kept', async () => {
    const { poller } = setup(() => ({ body: { status: 'degraded', degraded_reason: 'redis unavailable' } }));
    const p = await pollOne(poller);
    expect(p.ok).toBe(true);
    expect(poller.status()[0]!.degradedReason).toBe('redis unavailable');
  });

  it.each(['down', 'unhealthy', 'fail', 'error', 'DOWN'])('a body saying %s is not ok', async (status) => {
    const { poller } = setup(() => ({ body: { status, degraded_reason: 'db gone' } }));
    const p = await pollOne(poller);
    expect(p.ok).toBe(false);
    expect(p.error).toContain(status);
    const [s] = poller.status();
    expect(s).toMatchObject({ up: false, consecutiveFailures: 1, degradedReason: 'db gone' });
  });

  it.each(['ok', 'healthy', 'up', 'pass', 'UP'])('a body saying %s is ok', async (status) => {
    const { poller } = setup(() => ({ body: { status } }));
    expect((await pollOne(poller)).ok).toBe(true);
  });

  it('a JSON body behind a UTF-8 byte order mark (some .NET and Windows servers send one) is read as JSON, not counted down', async () => {
    const { poller } = setup(() => ({ status: 200, body: '\ufeff{"status":"ok","degraded_reason":null}' }));
    const p = await pollOne(poller);
    expect(p).toMatchObject({ ok: true, body: { status: 'ok', degraded_reason: null } });
  });

  it('a JSON body without a status field is ok', async () => {
    const { poller } = setup(() => ({ body: { database_pool: {} } }));
    expect((await pollOne(poller)).ok).toBe(true);
  });

  it.each([
    ['HTML', '<html><body>502 Bad Gateway</body></html>'],
    ['truncated JSON', '{"status":"ok","database_pool":{"sat'],
    ['empty', ''],
  ])('a 2xx %s body is not ok, with an error', async (_, body) => {
    const { poller } = setup(() => ({ status: 200, body }));
    const p = await pollOne(poller);
    expect(p).toMatchObject({ sent: true, ok: false, status: 200, error: 'health body is not JSON' });
    expect(p.body).toBeUndefined();
  });

  it('a huge body becomes a too_large error, never a throw', async () => {
    const { poller } = setup(() => ({ body: 'x'.repeat(200 * 1024) }));
    const p = await pollOne(poller);
    expect(p.ok).toBe(false);
    expect(p.error).toMatch(/^too_large/);
  });

  it('transport errors and thrown non-HTTP errors become short errors', async () => {
    let n = 0;
    const { poller } = setup(() => {
      n++;
      if (n === 1) return { error: new HttpError('unreachable', 'connect ECONNREFUSED 10.0.0.1:8080') };
      throw new Error('x'.repeat(1000));
    });
    const a = await pollOne(poller);
    expect(a).toMatchObject({ ok: false, error: 'unreachable: connect ECONNREFUSED 10.0.0.1:8080' });
    expect(a.status).toBeUndefined();
    const b = await pollOne(poller);
    expect(b.ok).toBe(false);
    expect(b.error!.length).toBeLessThanOrEqual(200);
    expect(poller.status()[0]!.consecutiveFailures).toBe(2);
  });

  it('a timeout is a failure', async () => {
    const { poller, clock } = setup(() => ({ body: healthy, latencyMs: 5000 }), { timeoutMs: 1000 });
    const pending = pollOne(poller);
    await clock.advance(1000);
    const p = await pending;
    expect(p).toMatchObject({ ok: false });
    expect(p.error).toMatch(/^timeout/);
  });

  it('keeps the last good body while the node is down', async () => {
    let down = false;
    const { poller } = setup(() => (down ? { error: new HttpError('unreachable', 'refused') } : { body: healthy }));
    await pollOne(poller);
    down = true;
    await pollOne(poller);
    const [s] = poller.status();
    expect(s!.up).toBe(false);
    expect(s!.lastBody).toEqual(healthy);
    expect(s!.last!.error).toBe('unreachable: refused');
  });
});

describe('node poller: 503, Retry-After and the breaker', () => {
  it('503 DB_POOL_EXHAUSTED with Retry-After seconds: not probed again before retryAt', async () => {
    let exhausted = true;
    const { poller, clock, transport } = setup(() =>
      exhausted
        ? { status: 503, headers: { 'Retry-After': '20' }, body: { error_code: 'DB_POOL_EXHAUSTED', message: 'pool exhausted' } }
        : { body: healthy },
    );
    const start = clock.now();
    const p = await pollOne(poller);
    expect(p).toMatchObject({ sent: true, ok: false, status: 503, errorCode: 'DB_POOL_EXHAUSTED', retryAt: start + 20_000 });
    expect(poller.status()[0]).toMatchObject({ up: false, breaker: 'closed', retryAt: start + 20_000 });

    for (let t = 5000; t < 20_000; t += 5000) {
      await clock.advanceTo(start + t);
      const skipped = await pollOne(poller);
      expect(skipped).toMatchObject({ sent: false, retryAt: start + 20_000 });
    }
    expect(transport.requests).toHaveLength(1);
    exhausted = false;
    await clock.advanceTo(start + 20_000);
    expect(await pollOne(poller)).toMatchObject({ sent: true, ok: true });
    expect(transport.requests).toHaveLength(2);
    expect(poller.status()[0]!.retryAt).toBeUndefined();
  });

  it('Retry-After as an HTTP-date is honoured', async () => {
    const clock0 = new ManualClock().now();
    const until = clock0 + 45_000;
    const { poller, clock, transport } = setup(() => ({
      status: 503,
      headers: { 'retry-after': new Date(until).toUTCString() },
      body: { code: 'DB_POOL_EXHAUSTED' },
    }));
    expect((await pollOne(poller)).retryAt).toBe(until);
    await clock.advanceTo(until - 1000);
    expect((await pollOne(poller)).sent).toBe(false);
    await clock.advanceTo(until);
    expect((await pollOne(poller)).sent).toBe(true);
    expect(transport.requests).toHaveLength(2);
  });

  it('a Retry-After of hours is capped at 10 minutes', async () => {
    const { poller, clock } = setup(() => ({ status: 429, headers: { 'retry-after': '36000' }, body: '' }));
    expect((await pollOne(poller)).retryAt).toBe(clock.now() + 600_000);
  });

  it('CIRCUIT_BREAKER_OPEN opens our breaker for that node at once', async () => {
    const { poller, clock, transport } = setup(
      (req) =>
        req.url.includes('web-1')
          ? { status: 503, body: { error: 'CIRCUIT_BREAKER_OPEN', message: 'fail fast' } }
          : { body: healthy },
      { n: 2, failures: 3, cooldown: 30_000 },
    );
    const [a, b] = await poller.poll();
    expect(a).toMatchObject({ ok: false, errorCode: 'CIRCUIT_BREAKER_OPEN', retryAt: clock.now() + 30_000 });
    expect(b!.ok).toBe(true);
    expect(poller.status().map((s) => s.breaker)).toEqual(['open', 'closed']);
    await clock.advance(10_000);
    const [a2, b2] = await poller.poll();
    expect(a2!.sent).toBe(false);
    expect(b2!.sent).toBe(true);
    expect(transport.requestsTo('web-1')).toHaveLength(1);
  });

  it('a 503 without Retry-After backs off through the breaker', async () => {
    const { poller, clock, transport } = setup(() => ({ status: 503, body: 'Service Unavailable' }), { failures: 3, cooldown: 30_000 });
    const p = await pollOne(poller);
    expect(p).toMatchObject({ ok: false, status: 503, error: 'HTTP 503', retryAt: clock.now() + 30_000 });
    await clock.advance(29_000);
    expect((await pollOne(poller)).sent).toBe(false);
    expect(transport.requests).toHaveLength(1);
  });

  it('opens after N failures, half-opens after the cooldown with one trial, closes on success', async () => {
    let failing = true;
    const { poller, clock, transport } = setup(
      () => (failing ? { status: 500, body: { status: 'error' } } : { body: healthy }),
      { failures: 3, cooldown: 30_000 },
    );
    for (let i = 1; i <= 3; i++) {
      const p = await pollOne(poller);
      expect(p.sent).toBe(true);
      expect(poller.status()[0]!.breaker).toBe(i < 3 ? 'closed' : 'open');
      await clock.advance(5000);
    }
    expect(poller.status()[0]!.consecutiveFailures).toBe(3);
    // Open: polls every 5 s send nothing until 30 s after the third failure.
    const openedAt = clock.now() - 5000;
    while (clock.now() < openedAt + 30_000) {
      expect((await pollOne(poller)).sent).toBe(false);
      await clock.advance(5000);
    }
    expect(transport.requests).toHaveLength(3);
    expect(poller.status()[0]!.breaker).toBe('half-open');

    // The half-open trial fails: open again for twice as long.
    const trial = await pollOne(poller);
    expect(trial.sent).toBe(true);
    expect(trial.retryAt).toBe(clock.now() + 60_000);
    expect(poller.status()[0]!.consecutiveFailures).toBe(4);
    await clock.advance(59_000);
    expect((await pollOne(poller)).sent).toBe(false);
    await clock.advance(1000);
    failing = false;
    expect(await pollOne(poller)).toMatchObject({ sent: true, ok: true });
    expect(poller.status()[0]).toMatchObject({ breaker: 'closed', consecutiveFailures: 0, up: true });
    expect(transport.requests).toHaveLength(5);
  });

  it('overlapping polls share one probe per node (one half-open trial only)', async () => {
    const { poller, clock, transport } = setup(() => ({ body: healthy, latencyMs: 100 }), { n: 3 });
    const a = poller.poll();
    const b = poller.poll();
    await clock.advance(100);
    const [ra, rb] = await Promise.all([a, b]);
    expect(transport.requests).toHaveLength(3);
    expect(ra).toEqual(rb);
  });

  it('skipped probes do not change up or the failure count', async () => {
    const { poller, clock } = setup(() => ({ status: 503, headers: { 'retry-after': '60' }, body: { error_code: 'DB_POOL_EXHAUSTED' } }));
    await pollOne(poller);
    for (let i = 0; i < 5; i++) {
      await clock.advance(5000);
      await pollOne(poller);
    }
    expect(poller.status()[0]).toMatchObject({ up: false, consecutiveFailures: 1 });
    expect(poller.status()[0]!.last!.sent).toBe(true);
  });
});

describe('node poller: concurrency and lifecycle', () => {
  it('never has more than `concurrency` probes in flight, and uses all of them', async () => {
    const { poller, clock, transport } = setup((_, i) => ({ body: healthy, latencyMs: 50 + (i % 7) * 10 }), { n: 100, concurrency: 8 });
    const pending = poller.poll();
    let done = false;
    void pending.then(() => (done = true));
    for (let i = 0; i < 200 && !done; i++) await clock.advance(10);
    const probes = await pending;
    expect(probes).toHaveLength(100);
    expect(probes.every((p) => p.ok)).toBe(true);
    expect(transport.maxInFlight).toBe(8);
    expect(transport.requests).toHaveLength(100);
    expect(probes.map((p) => p.node)).toEqual(nodes(100).map((n) => n.name));
  });

  it('returns one probe per node in plan order, skipped ones included', async () => {
    const { poller } = setup(
      (req) => (req.url.includes('web-2.') ? { status: 503, headers: { 'retry-after': '30' }, body: { error_code: 'DB_POOL_EXHAUSTED' } } : { body: healthy }),
      { n: 3 },
    );
    await poller.poll();
    const second = await poller.poll();
    expect(second.map((p) => [p.node, p.sent])).toEqual([
      ['web-1', true],
      ['web-2', false],
      ['web-3', true],
    ]);
    expect(second[1]!.error).toBe('skipped: Retry-After in force');
  });

  it('an aborted poll neither counts a failure nor sends the rest', async () => {
    const { poller, clock, transport } = setup(() => ({ body: healthy, latencyMs: 1000 }), { n: 4, concurrency: 1 });
    const ac = new AbortController();
    const pending = poller.poll({ signal: ac.signal });
    await clock.advance(10);
    ac.abort();
    const probes = await pending;
    expect(transport.requests).toHaveLength(1);
    expect(probes.every((p) => !p.sent && p.error === 'aborted')).toBe(true);
    expect(poller.status().map((s) => [s.up, s.consecutiveFailures])).toEqual(Array(4).fill([null, 0]));
  });

  it('close() stops probes in flight and later polls return nothing', async () => {
    const { poller, clock, transport } = setup(() => ({ body: healthy, latencyMs: 10_000 }), { n: 2 });
    const pending = poller.poll();
    await clock.advance(10);
    await poller.close();
    expect((await pending).every((p) => !p.sent)).toBe(true);
    expect(await poller.poll()).toEqual([]);
    expect(transport.closed).toBe(false);
  });

  it('1,000 nodes poll in one call', async () => {
    const { poller, transport } = setup(() => ({ body: healthy }), { n: 1000, concurrency: 64 });
    const t0 = performance.now();
    const probes = await poller.poll();
    const ms = performance.now() - t0;
    expect(probes.filter((p) => p.ok)).toHaveLength(1000);
    expect(transport.maxInFlight).toBeLessThanOrEqual(64);
    expect(ms).toBeLessThan(2000);
  });
});

describe('judge', () => {
  it('reads error codes from error_code, code, or a code-shaped error', () => {
    expect(judge({ status: 503, body: '{"error_code":"DB_POOL_EXHAUSTED"}' }).errorCode).toBe('DB_POOL_EXHAUSTED');
    expect(judge({ status: 503, body: '{"code":"CIRCUIT_BREAKER_OPEN"}' }).errorCode).toBe('CIRCUIT_BREAKER_OPEN');
    expect(judge({ status: 503, body: '{"error":{"code":"DB_POOL_EXHAUSTED"}}' }).errorCode).toBe('DB_POOL_EXHAUSTED');
    expect(judge({ status: 500, body: '{"error":"something went wrong"}' }).errorCode).toBeUndefined();
    expect(judge({ status: 503, body: '<html>' })).toEqual({ ok: false, error: 'HTTP 503' });
  });
  it('an unknown status word is not ok', () => {
    expect(judge({ status: 200, body: '{"status":"starting"}' })).toMatchObject({ ok: false, error: 'unrecognised health status "starting"' });
    expect(judge({ status: 200, body: '{"status":false}' }).ok).toBe(false);
  });
});
