/**
 * A scripted HttpTransport for tests: records every request, answers from a
 * function, and can hold a reply for some time on an injected ManualClock
 * (so tests see latency, timeouts and concurrency without sleeping).
 */
import type { ManualClock } from '../../src/clock.js';
import { HttpError, type HttpRequest, type HttpResponse, type HttpTransport } from '../../src/sources/types.js';

export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else is JSON-encoded. */
  body?: unknown;
  /** Clock time the reply takes; over the request's timeoutMs it fails with kind 'timeout'. */
  latencyMs?: number;
  /** Fail the request instead of answering. */
  error?: Error;
}

export type FakeHandler = (req: HttpRequest, index: number) => FakeReply | Promise<FakeReply>;

export class FakeTransport implements HttpTransport {
  readonly requests: HttpRequest[] = [];
  inFlight = 0;
  maxInFlight = 0;
  closed = false;

  constructor(
    private handler: FakeHandler,
    private readonly clock?: ManualClock,
  ) {}

  /** Replaces the script (e.g. a node recovers). */
  setHandler(handler: FakeHandler): void {
    this.handler = handler;
  }

  /** Requests whose URL contains `part`. */
  requestsTo(part: string): HttpRequest[] {
    return this.requests.filter((r) => r.url.includes(part));
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    if (this.closed) throw new HttpError('unreachable', 'transport closed');
    this.requests.push(req);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (req.signal?.aborted) throw new HttpError('aborted', 'request aborted');
      const reply = await this.handler(req, this.requests.length - 1);
      const latency = reply.latencyMs ?? 0;
      if (latency > 0) {
        if (!this.clock) throw new Error('FakeTransport: latencyMs needs a ManualClock');
        try {
          await this.clock.sleep(Math.min(latency, req.timeoutMs), req.signal);
        } catch {
          throw new HttpError('aborted', 'request aborted');
        }
        if (latency > req.timeoutMs) throw new HttpError('timeout', `no answer within ${req.timeoutMs}ms`);
      }
      if (reply.error) throw reply.error;
      const body = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      if (Buffer.byteLength(body) > req.maxBytes) throw new HttpError('too_large', `body over ${req.maxBytes} bytes`);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(reply.headers ?? {})) headers[k.toLowerCase()] = v;
      return { status: reply.status ?? 200, headers, body, latencyMs: latency };
    } finally {
      this.inFlight--;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
