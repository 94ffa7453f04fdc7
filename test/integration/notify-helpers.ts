/**
 * Real HTTP receivers on 127.0.0.1 for the notifier's tests: each records
 * what arrived (with the ManualClock's time at arrival) and answers as the
 * test scripts it. `close()` always ends held requests and open sockets.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { ManualClock } from '../../src/clock.js';
import type { NotifierSpec } from '../../src/plan/schema.js';
import { waitFor } from '../helpers/prometheus.js';

export interface Received {
  /** Clock time when the request arrived. */
  at: number;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hold';

export interface Receiver {
  port: number;
  url(path: string): string;
  requests: Received[];
  json(i: number): any;
  /** Answers every held request with this reply. */
  release(reply?: Exclude<Reply, 'hold'>): void;
  close(): Promise<void>;
}

export async function startReceiver(clock: ManualClock, reply: (index: number, req: Received) => Reply): Promise<Receiver> {
  const requests: Received[] = [];
  const held: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: Received = {
        at: clock.now(),
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(rec);
      const r = reply(requests.length - 1, rec);
      if (r === 'hold') {
        held.push(res);
        return;
      }
      res.writeHead(r.status, { 'content-type': 'text/plain', ...r.headers });
      res.end(r.body ?? '');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    requests,
    json: (i) => JSON.parse(requests[i]!.body),
    release(r = { status: 200, body: 'ok' }) {
      for (const res of held.splice(0)) {
        if (!res.writableEnded && !res.destroyed) {
          res.writeHead(r.status, r.headers);
          res.end(r.body ?? '');
        }
      }
    },
    async close() {
      for (const res of held.splice(0)) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

/** A loopback port nothing listens on. */
export async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((ok) => srv.close(() => ok()));
  return port;
}

/** Polls `cond` in real time (5 ms steps) up to `timeoutMs`; throws with `what` if it never holds. */
export async function waitUntil(cond: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  await waitFor(cond, { what, timeoutMs, intervalMs: 5 });
}

/** Real-time pause, for asserting that something did NOT happen. */
export const settle = (ms = 60): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs the notifier to completion: while it has pending work, fires the next
 * clock timer if there is one, else lets real I/O happen. Bounded. Any
 * timer counts, so use it with grouping off (groupWindowMs: 0).
 */
export async function drive(clock: ManualClock, pending: () => number, maxSteps = 2_000): Promise<void> {
  for (let i = 0; i < maxSteps && pending() > 0; i++) {
    const next = clock.nextTimerAt();
    if (next !== undefined) await clock.advanceTo(next);
    else await new Promise((r) => setTimeout(r, 5));
  }
  if (pending() > 0) throw new Error(`notifier still has ${pending()} pending after ${maxSteps} steps`);
}

export function spec(s: Partial<NotifierSpec> & Pick<NotifierSpec, 'kind'>): NotifierSpec {
  return { timeout: 2_000, retries: 4, ...s } as NotifierSpec;
}
