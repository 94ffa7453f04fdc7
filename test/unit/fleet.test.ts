import http from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ManualClock } from '../../src/clock.js';
import { runSimulateCommand, startFleet, type Fleet } from '../../src/simulator/index.js';
import { createNodePoller } from '../../src/sources/nodes.js';
import { HttpError, type HttpTransport } from '../../src/sources/types.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One GET (or POST) over a fresh connection, so no client socket outlives the test. */
function request(url: string, opts: { method?: string; body?: unknown; agent?: http.Agent | false } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    const req = http.request(url, { method: opts.method ?? 'GET', agent: opts.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function getJson(url: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; json: any }> {
  const r = await request(url);
  return { status: r.status, headers: r.headers, json: JSON.parse(r.body) };
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const lm of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]!] = lm[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hits.length !== 1) throw new Error(`expected one ${name}${JSON.stringify(labels)}, found ${hits.length}`);
  return hits[0]!.value;
}

async function scrape(fleet: Fleet, i = 0): Promise<Sample[]> {
  const r = await request(`${fleet.nodes[i]!.url}/metrics`);
  expect(r.status).toBe(200);
  expect(r.headers['content-type']).toContain('text/plain');
  return parseMetrics(r.body);
}

/** histogram_quantile over the difference of two scrapes, as Prometheus computes it. */
function quantile(q: number, before: Sample[], after: Sample[], name: string): number {
  const buckets = after
    .filter((s) => s.name === `${name}_bucket`)
    .map((s) => {
      const prev = before.find((b) => b.name === s.name && b.labels.le === s.labels.le)?.value ?? 0;
      return { le: s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), count: s.value - prev };
    })
    .sort((a, b) => a.le - b.le);
  const total = buckets[buckets.length - 1]!.count;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) return prevLe + ((b.le - prevLe) * (rank - prevCount)) / (b.count - prevCount);
    prevLe = b.le;
    prevCount = b.count;
  }
  return NaN;
}

function refused(url: string): Promise<string> {
  return request(url).then(
    () => 'answered',
    (err: NodeJS.ErrnoException) => err.code ?? err.message,
  );
}

/** Listening sockets, once libuv has finished closing any that were just closed. */
async function tcpServers(): Promise<number> {
  await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setImmediate(r));
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
}

describe('simulated fleet over loopback', () => {
  const clock = new ManualClock();
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet({ nodes: 4, service: 'dhash', clock, seed: 7, profile: { requestRate: 100, errorRate: 0.2 }, control: true });
  });
  afterAll(async () => {
    await fleet.close();
  });

  it('lists nodes, targets and plan nodes', () => {
    expect(fleet.nodes.map((n) => n.name)).toEqual(['dhash-1', 'dhash-2', 'dhash-3', 'dhash-4']);
    for (const n of fleet.nodes) {
      expect(n.port).toBeGreaterThan(0);
      expect(n.url).toBe(`http://127.0.0.1:${n.port}`);
    }
    expect(fleet.targets).toEqual(fleet.nodes.map((n) => `127.0.0.1:${n.port}`));
    expect(fleet.planNodes()[0]).toEqual({ name: 'dhash-1', url: fleet.nodes[0]!.url, health: '/health', deep: '/health/deep', labels: { service: 'dhash' } });
    expect(fleet.controlUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('/health answers the seed 004 shape; /health/deep adds the derived indexes', async () => {
    const { status, headers, json } = await getJson(`${fleet.nodes[1]!.url}/health`);
    expect(status).toBe(200);
    expect(headers['content-type']).toBe('application/json');
    expect(json).toMatchObject({
      status: 'ok',
      degraded_reason: '',
      node: 'dhash-2',
      version: 'v1.2.3',
      traffic_percent: 100,
      database_pool: { runtime: { pool_size: 20 }, state: { size: 20 } },
      resilience: { policy_state: { state: 'allowed', blocked: false }, alerts: { restart_blocked: false } },
      route_cache: { mode: 'redis' },
    });
    const sat = json.database_pool.state.saturation as number;
    expect(sat).toBeGreaterThanOrEqual(0.37);
    expect(sat).toBeLessThanOrEqual(0.47);
    expect(json.database_pool.state.in_use).toBe(Math.round(sat * 20));
    expect(json.cache).toBeUndefined();
    const deep = await getJson(`${fleet.nodes[1]!.url}/health/deep`);
    expect(deep.json.cache.derived_search_index).toMatchObject({ stale: false });
    expect(deep.json.resource_cache.derived_index).toMatchObject({ stale: false });
    expect((await request(`${fleet.nodes[1]!.url}/nope`)).status).toBe(404);
    expect((await request(`${fleet.nodes[1]!.url}/health`, { method: 'POST', body: '{}' })).status).toBe(405);
  });

  it('counters grow with clock time and the 2xx/5xx split follows errorRate', async () => {
    const a = await scrape(fleet);
    await clock.advance(60_000);
    const b = await scrape(fleet);
    const ok = value(b, 'http_requests_total', { status: '200' }) - value(a, 'http_requests_total', { status: '200' });
    const err = value(b, 'http_requests_total', { status: '500' }) - value(a, 'http_requests_total', { status: '500' });
    expect(ok + err).toBeGreaterThan(5990);
    expect(ok + err).toBeLessThan(6010);
    expect(err / (ok + err)).toBeCloseTo(0.2, 2);
    expect(value(b, 'http_requests_total', { status: '200', node: 'dhash-1', service: 'dhash' })).toBeGreaterThan(0);

    await fleet.setFault('dhash-1', { errorRate: 0.5 });
    await clock.advance(60_000);
    const c = await scrape(fleet);
    const ok2 = value(c, 'http_requests_total', { status: '200' }) - value(b, 'http_requests_total', { status: '200' });
    const err2 = value(c, 'http_requests_total', { status: '500' }) - value(b, 'http_requests_total', { status: '500' });
    expect(err2 / (ok2 + err2)).toBeCloseTo(0.5, 2);
    const irErr = value(c, 'instrument_registry_http_requests_total', { status: '500' }) - value(b, 'instrument_registry_http_requests_total', { status: '500' });
    expect(irErr).toBeGreaterThan(2990);
    expect((await getJson(`${fleet.nodes[0]!.url}/health`)).json.status).toBe('down');
    // The other nodes kept the profile's rate.
    const other = await scrape(fleet, 1);
    const otherErr = value(other, 'http_requests_total', { status: '500' });
    const otherTotal = otherErr + value(other, 'http_requests_total', { status: '200' });
    expect(otherErr / otherTotal).toBeCloseTo(0.2, 2);
    await fleet.clearFaults();
  });

  it('exposes every seed metric name', async () => {
    const names = new Set((await scrape(fleet, 2)).map((s) => s.name));
    for (const n of [
      'http_requests_total',
      'http_request_duration_seconds_bucket',
      'dhash_extractions_total',
      'dhash_extraction_failures_total',
      'dhash_hash_duration_seconds_bucket',
      'dhash_hash_duration_seconds_count',
      'dhash_low_confidence_queue_length',
      'process_memory_usage_ratio',
      'stage_validation_validations_total',
      'stage_validation_errors_total',
      'stage_validation_duration_seconds_bucket',
      'stage_deprecation_header_emitted_total',
      'helper_bucket_total',
      'instrument_registry_http_requests_total',
      'instrument_registry_http_request_duration_seconds_bucket',
      'instrument_registry_memory_usage_bytes',
      'dual_write_operations_total',
      'watchdog_restarts_total',
      'db_pool_saturation',
    ]) {
      expect(names, n).toContain(n);
    }
  });

  it('latency faults move the histograms: hash p95 and validator p99', async () => {
    await fleet.setFault([2], { hashP95Ms: 2500, validationP99Ms: 8 });
    const a = await scrape(fleet, 2);
    await clock.advance(600_000);
    const b = await scrape(fleet, 2);
    const p95 = quantile(0.95, a, b, 'dhash_hash_duration_seconds');
    expect(p95).toBeGreaterThan(2.0);
    expect(p95).toBeLessThan(3.0);
    const p99 = quantile(0.99, a, b, 'stage_validation_duration_seconds');
    expect(p99).toBeGreaterThan(0.0075);
    expect(p99).toBeLessThanOrEqual(0.01);
    // The default profile stays well inside seed 001's 5 ms.
    const c = await scrape(fleet, 3);
    await clock.advance(600_000);
    const d = await scrape(fleet, 3);
    expect(quantile(0.99, c, d, 'stage_validation_duration_seconds')).toBeLessThan(0.005);
    expect(quantile(0.95, c, d, 'dhash_hash_duration_seconds')).toBeLessThan(0.75);
    await fleet.clearFaults();
  });

  it('rate faults and gauges: extraction failures, header coverage, bad bucket, restarts, saturation', async () => {
    await fleet.setFault('dhash-4', {
      extractionFailureRate: 0.08,
      headerCoverage: 0.9,
      badBucket: true,
      watchdogRestarts: 3,
      saturation: 0.93,
      queueLength: 1500,
      memoryRatio: 0.88,
      degradedReason: 'redis unavailable',
      policyBlocked: true,
    });
    const a = await scrape(fleet, 3);
    await clock.advance(600_000);
    const b = await scrape(fleet, 3);
    const d = (name: string, labels: Record<string, string> = {}) => value(b, name, labels) - value(a, name, labels);
    expect(d('dhash_extraction_failures_total') / d('dhash_extractions_total')).toBeCloseTo(0.08, 2);
    expect(d('stage_deprecation_header_emitted_total') / d('stage_validation_validations_total', { mode: 'warn' })).toBeCloseTo(0.9, 2);
    expect(d('watchdog_restarts_total')).toBe(3);
    expect(b.filter((s) => s.name === 'helper_bucket_total').map((s) => s.labels.bucket).sort()).toEqual(['1', '11+', '17', '2-5', '6-10']);
    expect(value(b, 'db_pool_saturation')).toBe(0.93);
    expect(value(b, 'dhash_low_confidence_queue_length')).toBe(1500);
    expect(value(b, 'process_memory_usage_ratio')).toBe(0.88);
    const { json } = await getJson(`${fleet.nodes[3]!.url}/health`);
    expect(json).toMatchObject({
      status: 'degraded',
      degraded_reason: 'redis unavailable',
      database_pool: { state: { saturation: 0.93, in_use: 19 } },
      resilience: { policy_state: { state: 'blocked', blocked: true }, alerts: { restart_blocked: true, restart_churn: true } },
    });
    await fleet.clearFaults();
    expect((await getJson(`${fleet.nodes[3]!.url}/health`)).json.status).toBe('ok');
    // Counters never go back after a fault clears.
    const c = await scrape(fleet, 3);
    expect(value(c, 'watchdog_restarts_total')).toBe(value(b, 'watchdog_restarts_total'));
    expect(c.filter((s) => s.name === 'helper_bucket_total')).toHaveLength(5);
  });

  it('poolExhausted: 503 + Retry-After + DB_POOL_EXHAUSTED; circuitOpen: 503 + CIRCUIT_BREAKER_OPEN', async () => {
    await fleet.setFault('dhash-1', { poolExhausted: true, retryAfterSeconds: 15 });
    await fleet.setFault('dhash-2', { circuitOpen: true });
    const a = await getJson(`${fleet.nodes[0]!.url}/health`);
    expect(a.status).toBe(503);
    expect(a.headers['retry-after']).toBe('15');
    expect(a.json.error_code).toBe('DB_POOL_EXHAUSTED');
    const b = await getJson(`${fleet.nodes[1]!.url}/health/deep`);
    expect(b.status).toBe(503);
    expect(b.headers['retry-after']).toBeUndefined();
    expect(b.json.error_code).toBe('CIRCUIT_BREAKER_OPEN');
    expect(value(await scrape(fleet, 0), 'db_pool_saturation')).toBe(1);
    await fleet.clearFaults();
    expect((await request(`${fleet.nodes[0]!.url}/health`)).status).toBe(200);
  });

  it('down refuses connections, and the node comes back on the same port', async () => {
    const url = `${fleet.nodes[2]!.url}/health`;
    await fleet.setFault([2], { down: true });
    expect(await refused(url)).toBe('ECONNREFUSED');
    expect(fleet.state().nodes[2]!.listening).toBe(false);
    await fleet.setFault([2], { down: false });
    expect((await request(url)).status).toBe(200);
    await fleet.setFault('all', { down: true });
    await fleet.clearFaults('all');
    expect((await request(url)).status).toBe(200);
  });

  it('latencyMs delays the answer in real time', async () => {
    await fleet.setFault('dhash-3', { latencyMs: 150 });
    const t0 = performance.now();
    await request(`${fleet.nodes[2]!.url}/health`);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    await fleet.clearFaults();
  });

  it('rejects unknown nodes and invalid faults', async () => {
    await expect(fleet.setFault('web-9', { errorRate: 0.1 })).rejects.toThrow(/unknown node "web-9"/);
    await expect(fleet.setFault([9], { errorRate: 0.1 })).rejects.toThrow(/no node at index 9/);
    await expect(fleet.setFault('all', { errorRate: 2 })).rejects.toThrow(/errorRate/);
    await expect(fleet.setFault('all', { nonsense: 1 } as never)).rejects.toThrow(/invalid fault/);
  });

  it('the control server injects, reports and clears faults', async () => {
    const base = fleet.controlUrl!;
    const set = await request(`${base}/faults`, { method: 'POST', body: { target: 'dhash-2', fault: { poolExhausted: true, retryAfterSeconds: 5 } } });
    expect(set.status).toBe(200);
    const h = await request(`${fleet.nodes[1]!.url}/health`);
    expect(h.status).toBe(503);
    expect(h.headers['retry-after']).toBe('5');
    const state = await getJson(`${base}/state`);
    expect(state.json.nodes[1]).toMatchObject({ name: 'dhash-2', listening: true, overrides: { poolExhausted: true, retryAfterSeconds: 5 } });
    expect(state.json.profile.requestRate).toBe(100);

    expect((await request(`${base}/faults`, { method: 'POST', body: { target: [0, 3], fault: { down: true } } })).status).toBe(200);
    expect(await refused(`${fleet.nodes[3]!.url}/health`)).toBe('ECONNREFUSED');

    const bad = await request(`${base}/faults`, { method: 'POST', body: { target: 'dhash-2', fault: { errorRate: 'lots' } } });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toMatch(/errorRate/);
    expect((await request(`${base}/faults`, { method: 'POST', body: 'not json' })).status).toBe(400);
    expect((await request(`${base}/faults`, { method: 'POST', body: { target: 'zzz', fault: {} } })).status).toBe(400);
    expect((await request(`${base}/nothing`)).status).toBe(404);

    expect((await request(`${base}/clear`, { method: 'POST' })).status).toBe(200);
    expect((await request(`${fleet.nodes[1]!.url}/health`)).status).toBe(200);
    expect((await request(`${fleet.nodes[3]!.url}/health`)).status).toBe(200);
  });

  it('the node poller reads the fleet: 503 Retry-After is honoured, a down node is refused', async () => {
    const agent = new http.Agent({ keepAlive: true });
    const transport = nodeHttpTransport(agent);
    const poller = createNodePoller({ nodes: fleet.planNodes(), transport, clock, timeoutMs: 2000, concurrency: 4, breaker: { failures: 3, cooldown: 30_000 } });
    try {
      await fleet.setFault('dhash-1', { poolExhausted: true, retryAfterSeconds: 20 });
      await fleet.setFault('dhash-2', { down: true });
      await fleet.setFault('dhash-3', { degradedReason: 'redis unavailable' });
      const probes = await poller.poll({ deep: true });
      expect(probes.map((p) => [p.node, p.ok, p.errorCode ?? p.error?.split(':')[0]])).toEqual([
        ['dhash-1', false, 'DB_POOL_EXHAUSTED'],
        ['dhash-2', false, 'unreachable'],
        ['dhash-3', true, undefined],
        ['dhash-4', true, undefined],
      ]);
      expect(probes[0]!.retryAt).toBe(clock.now() + 20_000);
      await clock.advance(10_000);
      expect((await poller.poll())[0]!.sent).toBe(false);
      const s = poller.status();
      expect(s[2]!.degradedReason).toBe('redis unavailable');
      expect((probes[3]!.body as { cache?: unknown }).cache).toBeDefined();
      expect((s[3]!.lastBody as { cache?: unknown }).cache).toBeUndefined();
    } finally {
      await poller.close();
      await transport.close();
      await fleet.clearFaults();
    }
  });
});

describe('fleet lifecycle', () => {
  it('is deterministic for a seed', async () => {
    const a = await startFleet({ nodes: 3, seed: 42 });
    const b = await startFleet({ nodes: 3, seed: 42 });
    const c = await startFleet({ nodes: 3, seed: 43 });
    try {
      const faults = (f: Fleet) => [0, 1, 2].map((i) => f.faultOf(i));
      expect(faults(a)).toEqual(faults(b));
      expect(faults(a)).not.toEqual(faults(c));
      expect(a.faultOf(0).saturation).not.toBe(a.faultOf(1).saturation);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it('explicit profile fields are exact on every node', async () => {
    const f = await startFleet({ nodes: 3, profile: { saturation: 0.95, queueLength: 10 } });
    try {
      expect([0, 1, 2].map((i) => f.faultOf(i).saturation)).toEqual([0.95, 0.95, 0.95]);
      expect([0, 1, 2].map((i) => f.faultOf(i).queueLength)).toEqual([10, 10, 10]);
    } finally {
      await f.close();
    }
  });

  it('rejects a bad size or profile', async () => {
    await expect(startFleet({ nodes: 0 })).rejects.toThrow(/between 1 and/);
    await expect(startFleet({ nodes: 2, profile: { memoryRatio: 3 } })).rejects.toThrow(/memoryRatio/);
  });

  it('close() leaves no server or socket open, even mid-request and with nodes down', async () => {
    const before = await tcpServers();
    const handles = () => {
      const info = process.getActiveResourcesInfo();
      return { sockets: info.filter((r) => r === 'TCPSocketWrap').length, timers: info.filter((r) => r === 'Timeout').length };
    };
    const baseline = handles();
    const f = await startFleet({ nodes: 20, control: true });
    expect(await tcpServers()).toBe(before + 21);
    await f.setFault([0], { down: true });
    await f.setFault([1], { latencyMs: 5000 });
    const agent = new http.Agent({ keepAlive: true });
    await request(`${f.nodes[2]!.url}/health`, { agent });
    const slow = request(`${f.nodes[1]!.url}/health`).then(
      () => 'answered',
      (e: NodeJS.ErrnoException) => e.code,
    );
    await new Promise((r) => setTimeout(r, 50));
    await f.close();
    expect(await slow).toBe('ECONNRESET');
    await f.close(); // twice is fine
    agent.destroy();
    expect(await tcpServers()).toBe(before);
    // Nothing of the fleet's is left (a timer from before the fleet may have expired meanwhile).
    const after = handles();
    expect(after.sockets).toBeLessThanOrEqual(baseline.sockets);
    expect(after.timers).toBeLessThanOrEqual(baseline.timers);
  });

  it('runSimulateCommand writes targets and plan nodes, prints the control URL, and stops on abort', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fd-sim-'));
    const ac = new AbortController();
    let printed = '';
    const before = await tcpServers();
    const done = runSimulateCommand({
      nodes: 3,
      writeTargets: join(dir, 'targets.txt'),
      writePlanNodes: join(dir, 'sub', 'nodes.yaml'),
      signal: ac.signal,
      stdout: { write: (t: string) => (printed += t) },
    });
    try {
      for (let i = 0; i < 100 && !printed.includes('control:'); i++) await new Promise((r) => setTimeout(r, 20));
      const control = /control: (http:\/\/127\.0\.0\.1:\d+)/.exec(printed)?.[1];
      expect(control).toBeDefined();
      const state = await getJson(`${control}/state`);
      expect(state.json.nodes).toHaveLength(3);
      const targets = (await readFile(join(dir, 'targets.txt'), 'utf8')).trim().split('\n');
      expect(targets).toEqual(state.json.nodes.map((n: { port: number }) => `127.0.0.1:${n.port}`));
      const planNodes = parseYaml(await readFile(join(dir, 'sub', 'nodes.yaml'), 'utf8'));
      expect(planNodes.nodes[2]).toMatchObject({ name: 'dhash-3', health: '/health', deep: '/health/deep' });
      expect((await request(`${planNodes.nodes[0].url}/health`)).status).toBe(200);
    } finally {
      ac.abort();
      await done;
      await rm(dir, { recursive: true, force: true });
    }
    expect(printed).toContain('simulated fleet stopped');
    expect(await tcpServers()).toBe(before);
  });
});

describe('1,000 nodes', () => {
  it('start, and every node probed once over keep-alive (timings printed)', async () => {
    const before = await tcpServers();
    const t0 = performance.now();
    const fleet = await startFleet({ nodes: 1000, seed: 1 });
    const started = performance.now() - t0;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const transport = nodeHttpTransport(agent);
    try {
      // Raw node:http, 64 at a time (cold connections).
      const t1 = performance.now();
      let ok = 0;
      let next = 0;
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (next < fleet.nodes.length) {
            const n = fleet.nodes[next++]!;
            if ((await request(`${n.url}/health`, { agent })).status === 200) ok++;
          }
        }),
      );
      const raw = performance.now() - t1;
      expect(ok).toBe(1000);

      // The node poller, concurrency 64, over the now-warm keep-alive sockets.
      const poller = createNodePoller({
        nodes: fleet.planNodes(),
        transport,
        clock: new ManualClock(),
        timeoutMs: 3000,
        concurrency: 64,
        breaker: { failures: 3, cooldown: 30_000 },
      });
      const t2 = performance.now();
      const probes = await poller.poll();
      const polled = performance.now() - t2;
      expect(probes.filter((p) => p.ok)).toHaveLength(1000);
      const t3 = performance.now();
      await poller.poll();
      const polledAgain = performance.now() - t3;
      await poller.close();
      console.log(
        `[fleet bench] 1000 nodes: start ${started.toFixed(0)} ms; raw node:http probe (cold) ${raw.toFixed(0)} ms; ` +
          `poller (warm keep-alive) ${polled.toFixed(0)} ms, again ${polledAgain.toFixed(0)} ms`,
      );
    } finally {
      await transport.close();
      await fleet.close();
    }
    expect(await tcpServers()).toBe(before);
  });
});

/** A minimal HttpTransport on node:http for these tests (the product one is undici, in http.ts). */
function nodeHttpTransport(agent: http.Agent): HttpTransport {
  return {
    request: (req) =>
      new Promise((resolve, reject) => {
        const t0 = performance.now();
        const r = http.request(req.url, { method: req.method, agent, headers: req.headers, timeout: req.timeoutMs }, (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > req.maxBytes) {
              r.destroy();
              reject(new HttpError('too_large', `body over ${req.maxBytes} bytes`));
            } else chunks.push(c);
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), latencyMs: performance.now() - t0 }),
          );
        });
        r.on('timeout', () => r.destroy(new HttpError('timeout', `no answer within ${req.timeoutMs}ms`)));
        r.on('error', (e) => reject(e instanceof HttpError ? e : new HttpError('unreachable', e.message)));
        r.end(req.body);
      }),
    close: async () => agent.destroy(),
  };
}
