/**
 * A real Prometheus 2.42 scraping the simulated fleet, reached through a
 * loopback TCP relay that the test stops for one evaluation (connections
 * refused, as when Prometheus itself is stopped): a gate whose breach started
 * before the outage still fails at `for` (+ the interval it is evaluated at),
 * not `for` after the outage, and the rollback is asked for then.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { Engine } from '../../src/engine/engine.js';
import { planSchema } from '../../src/plan/schema.js';
import { createHttpTransport } from '../../src/sources/http.js';
import { createPromClient } from '../../src/sources/prometheus.js';
import { ERROR_RATE, startLiveFleet, type LiveFleet } from '../helpers/live-fleet.js';
import { queryValue, waitFor } from '../helpers/prometheus.js';

/** host:port -> target, which can be stopped (refusing connections) and started again on the same port. */
async function startRelay(target: URL) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  const listen = (port = 0) => new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
  const port = await listen();
  const stop = async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  };
  return { url: `http://127.0.0.1:${port}`, stop, start: () => listen(port), close: stop };
}

let live: LiveFleet;
beforeAll(async () => {
  live = await startLiveFleet({ nodes: 2, seed: 11 });
}, 60_000);
afterAll(async () => {
  await live?.stop();
});

describe('a Prometheus outage of one evaluation does not postpone a failing gate', () => {
  it('breach at t0, Prometheus stopped at t0+2s, back at t0+4s: failing at t0+6s (`for` 6s) with one rollback request', async () => {
    await live.fleet.setFault('all', { errorRate: 0.3 });
    const relay = await startRelay(new URL(live.prom.url));
    const transport = createHttpTransport();
    try {
      await waitFor(async () => ((await queryValue(live.prom.url, ERROR_RATE)) ?? 0) > 0.05, { timeoutMs: 30_000, what: 'the breach in Prometheus' });
      const plan = planSchema.parse({
        service: 'svc',
        prometheus: { url: relay.url, timeout: '1s' },
        stages: [{ id: 'canary', gates: [{ id: 'err', query: ERROR_RATE, fail: '> 0.05', for: '6s', onFail: 'rollback' }], rollback: { run: ['true'] } }],
      });
      const prometheus = createPromClient({ url: relay.url, transport, timeoutMs: 1_000 });
      const engine = new Engine({ loaded: { plan, file: '/x/plan.yaml', dir: '/x' }, clock: systemClock, prometheus, nodes: null, readFile: async () => '', runCommand: async () => ({ exitCode: 0, timedOut: false, durationMs: 0, tail: '' }) });
      const seen: Array<{ state: string; condition?: string; breachSince?: number; why: string }> = [];
      const step = async () => {
        await engine.poll();
        const g = engine.getState().gates[0]!;
        seen.push({ state: g.state, condition: g.condition, breachSince: g.breachSince, why: g.why });
      };
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      await step(); // t0: breach seen
      await sleep(2_100);
      await relay.stop();
      await step(); // t0+2: Prometheus unreachable
      await relay.start();
      await sleep(2_100);
      await step(); // t0+4
      await sleep(2_100);
      await step(); // t0+6: `for` has held
      expect(seen.map((s) => s.state)).toEqual(['pending', 'error', 'pending', 'failing']);
      expect(seen[1]!.condition).toBe('pending');
      expect(seen[1]!.why).toMatch(/ECONNREFUSED.* — pending kept: breach held 2s of 6s/);
      expect(new Set(seen.map((s) => s.breachSince)).size).toBe(1);
      const reqs = engine.getState().events.filter((e) => e.type === 'rollback.requested');
      expect(reqs).toHaveLength(1);
    } finally {
      await transport.close();
      await relay.close().catch(() => undefined);
      await live.fleet.clearFaults();
    }
  }, 60_000);
});
