/**
 * The node health poller: probes each node's health endpoint with bounded
 * concurrency, reads the seed 004 health JSON, and keeps a per-node circuit
 * breaker and Retry-After so a struggling node is probed less, never more.
 */
import { setMaxListeners } from 'node:events';
import pLimit from 'p-limit';
import type { Clock } from '../clock.js';
import type { NodeSpec } from '../plan/schema.js';
import { CircuitBreaker, parseRetryAfter } from './breaker.js';
import { getPath } from './json-path.js';
import { HttpError, type HttpResponse, type HttpTransport, type NodePoller, type NodeProbe, type NodeStatus } from './types.js';

export interface NodePollerOptions {
  nodes: NodeSpec[];
  transport: HttpTransport;
  clock: Clock;
  timeoutMs: number;
  concurrency: number;
  breaker: { failures: number; cooldown: number };
  /** Largest health body accepted (default 1 MiB). */
  maxBytes?: number;
  /** Body fields a healthy answer must hold besides a 2xx code (`{ status: 'ok' }`), from the plan's health gates. */
  expect?: HealthExpect;
}

/** Paths in the health body and the value each must have. */
export type HealthExpect = Record<string, string | number | boolean>;

const HEALTHY = new Set(['ok', 'healthy', 'up', 'pass', 'passing', 'green']);
const DEGRADED = new Set(['degraded', 'warn', 'warning']);
const UNHEALTHY = new Set(['down', 'unhealthy', 'fail', 'failing', 'error', 'out_of_service', 'critical', 'red']);

interface NodeEntry {
  spec: NodeSpec;
  /** The health and deep-health URLs, built once. */
  healthUrl: string;
  deepUrl?: string;
  /** Also the node's count of consecutive failed probes. */
  breaker: CircuitBreaker;
  /** The last probe sent (skipped ones are not kept). */
  last?: NodeProbe;
  lastBody?: unknown;
  lastOkAt?: number;
  inflight?: Promise<NodeProbe>;
}

/** What a health response says about the node, before the breaker sees it. */
interface Verdict {
  ok: boolean;
  body?: unknown;
  errorCode?: string;
  error?: string;
}

export function createNodePoller(opts: NodePollerOptions): NodePoller {
  const { transport, clock } = opts;
  const maxBytes = opts.maxBytes ?? 1024 * 1024;
  const limit = pLimit(Math.max(1, Math.floor(opts.concurrency)));
  const closing = new AbortController();
  // Every probe in flight listens on this signal: up to `concurrency` at once, by design.
  setMaxListeners(0, closing.signal);
  const entries: NodeEntry[] = opts.nodes.map((spec) => {
    const base = spec.url.replace(/\/+$/, '');
    return { spec, healthUrl: base + spec.health, ...(spec.deep ? { deepUrl: base + spec.deep } : {}), breaker: new CircuitBreaker(clock, opts.breaker) };
  });

  async function probe(entry: NodeEntry, deep: boolean, signal: AbortSignal): Promise<NodeProbe> {
    const { spec, breaker } = entry;
    const skipped = (error?: string): NodeProbe => ({
      node: spec.name,
      at: clock.now(),
      sent: false,
      ok: false,
      retryAt: breaker.retryAt(),
      ...(error ? { error } : {}),
    });
    if (signal.aborted) return skipped('aborted');
    if (!breaker.tryAcquire()) return skipped(skipReason(breaker));

    const at = clock.now();
    const url = deep && entry.deepUrl ? entry.deepUrl : entry.healthUrl;
    let res: HttpResponse;
    try {
      res = await transport.request({
        method: 'GET',
        url,
        headers: { accept: 'application/json' },
        timeoutMs: opts.timeoutMs,
        maxBytes,
        signal,
      });
    } catch (err) {
      if (signal.aborted || (err instanceof HttpError && err.kind === 'aborted')) {
        breaker.release();
        return skipped('aborted');
      }
      breaker.onFailure();
      return record(entry, { node: spec.name, at, sent: true, ok: false, error: describeError(err) });
    }

    const verdict = judge(res, opts.expect);
    const result: NodeProbe = { node: spec.name, at, sent: true, ok: verdict.ok, status: res.status, latencyMs: res.latencyMs };
    if (verdict.body !== undefined) result.body = verdict.body;
    if (verdict.errorCode) result.errorCode = verdict.errorCode;
    if (verdict.error) result.error = verdict.error;
    if (res.status >= 200 && res.status < 300 && verdict.body !== undefined) entry.lastBody = verdict.body;

    if (verdict.ok) breaker.onSuccess();
    else {
      const retryAt = res.status >= 300 ? parseRetryAfter(res.headers['retry-after'], clock.now()) : undefined;
      if (retryAt !== undefined) breaker.retryAfter(retryAt);
      // The node's own breaker is open, or it is overloaded without saying for how long: back off now.
      if (verdict.errorCode === 'CIRCUIT_BREAKER_OPEN' || (res.status === 503 && retryAt === undefined)) breaker.trip();
      else breaker.onFailure();
    }
    const retryAt = breaker.retryAt();
    if (retryAt !== undefined) result.retryAt = retryAt;
    return record(entry, result);
  }

  function record(entry: NodeEntry, result: NodeProbe): NodeProbe {
    entry.last = result;
    if (result.ok) entry.lastOkAt = result.at;
    return result;
  }

  function probeOnce(entry: NodeEntry, deep: boolean, signal: AbortSignal): Promise<NodeProbe> {
    // A node already being probed (an overlapping poll) is joined, not probed twice.
    if (entry.inflight) return entry.inflight;
    const p = limit(() => probe(entry, deep, signal)).finally(() => {
      entry.inflight = undefined;
    });
    entry.inflight = p;
    return p;
  }

  return {
    async poll(pollOpts = {}) {
      if (closing.signal.aborted) return [];
      const caller = pollOpts.signal;
      if (!caller) return Promise.all(entries.map((e) => probeOnce(e, pollOpts.deep ?? false, closing.signal)));
      // One signal for this poll: the caller's or our own close, unlinked afterwards so nothing accumulates.
      const linked = new AbortController();
      setMaxListeners(0, linked.signal);
      const abort = () => linked.abort(caller.aborted ? caller.reason : closing.signal.reason);
      if (caller.aborted) abort();
      caller.addEventListener('abort', abort, { once: true });
      closing.signal.addEventListener('abort', abort, { once: true });
      try {
        return await Promise.all(entries.map((e) => probeOnce(e, pollOpts.deep ?? false, linked.signal)));
      } finally {
        caller.removeEventListener('abort', abort);
        closing.signal.removeEventListener('abort', abort);
      }
    },

    status(): NodeStatus[] {
      return entries.map((e) => {
        const s: NodeStatus = {
          name: e.spec.name,
          url: e.spec.url,
          up: e.last ? e.last.ok : null,
          consecutiveFailures: e.breaker.consecutiveFailures,
          breaker: e.breaker.state,
        };
        const retryAt = e.breaker.retryAt();
        if (retryAt !== undefined) s.retryAt = retryAt;
        if (e.last) s.last = e.last;
        if (e.lastBody !== undefined) s.lastBody = e.lastBody;
        if (e.lastOkAt !== undefined) s.lastOkAt = e.lastOkAt;
        const reason = readDegradedReason(e.lastBody);
        if (reason) s.degradedReason = reason;
        return s;
      });
    },

    /** Aborts probes in flight and waits for them. The transport belongs to the caller. */
    async close() {
      closing.abort(new HttpError('aborted', 'node poller closed'));
      await Promise.allSettled(entries.map((e) => e.inflight));
    },
  };
}

/** Reads a health response: status code, JSON body, the body's own status and error code. */
export function judge(res: Pick<HttpResponse, 'status' | 'body'>, expect?: HealthExpect): Verdict {
  const v = judgeStatus(res);
  if (!v.ok || !expect) return v;
  for (const [path, want] of Object.entries(expect)) {
    const got = getPath(v.body, path);
    if (got !== want) {
      const seen = got === undefined ? 'missing' : JSON.stringify(got)?.slice(0, 40) ?? String(got);
      return { ok: false, body: v.body, error: `${path} is ${seen}, expected ${JSON.stringify(want)}` };
    }
  }
  return v;
}

function judgeStatus(res: Pick<HttpResponse, 'status' | 'body'>): Verdict {
  const body = parseJson(res.body);
  const is2xx = res.status >= 200 && res.status < 300;
  if (!is2xx) {
    const v: Verdict = { ok: false, error: `HTTP ${res.status}` };
    if (body !== undefined) v.body = body;
    const code = readErrorCode(body);
    if (code) {
      v.errorCode = code;
      v.error = `HTTP ${res.status} ${code}`;
    }
    return v;
  }
  if (body === undefined) return { ok: false, error: 'health body is not JSON' };
  if (body === null || Array.isArray(body) || typeof body === 'number') {
    return { ok: false, body, error: `health body is ${body === null ? 'JSON null' : Array.isArray(body) ? 'a JSON array' : 'a bare number'}, not an object` };
  }
  const status = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>).status : body;
  if (status === undefined || status === true || (typeof status === 'string' && HEALTHY.has(status.toLowerCase()))) {
    return { ok: true, body };
  }
  if (typeof status === 'string' && DEGRADED.has(status.toLowerCase())) return { ok: true, body };
  if (status === false || (typeof status === 'string' && UNHEALTHY.has(status.toLowerCase()))) {
    return { ok: false, body, error: `node reports status "${String(status)}"` };
  }
  if (typeof status === 'string' || typeof status === 'boolean') {
    return { ok: false, body, error: `unrecognised health status "${String(status).slice(0, 40)}"` };
  }
  // An object without a readable status field (status null, a number, an object): the 2xx says it.
  return { ok: true, body };
}

function parseJson(text: string): unknown {
  if (!text.trim()) return undefined;
  try {
    // A UTF-8 byte order mark is no part of the JSON (RFC 8259 §8.1 lets a parser ignore it); JSON.parse refuses it.
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown;
  } catch {
    return undefined;
  }
}

const CODE_SHAPE = /^[A-Z][A-Z0-9_]{2,63}$/;

function readErrorCode(body: unknown): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  for (const key of ['error_code', 'code']) {
    const v = b[key];
    if (typeof v === 'string' && v.length > 0 && v.length <= 64) return v;
  }
  const err = b.error;
  if (typeof err === 'string' && CODE_SHAPE.test(err)) return err;
  if (err && typeof err === 'object') {
    const nested = (err as Record<string, unknown>).code;
    if (typeof nested === 'string' && CODE_SHAPE.test(nested)) return nested;
  }
  return undefined;
}

function readDegradedReason(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const r = (body as Record<string, unknown>).degraded_reason;
  return typeof r === 'string' && r.trim() !== '' ? r : undefined;
}

function skipReason(breaker: CircuitBreaker): string {
  const state = breaker.state;
  if (state === 'open') return 'skipped: circuit breaker open';
  if (state === 'half-open' && breaker.retryAt() === undefined) return 'skipped: half-open trial in flight';
  return 'skipped: Retry-After in force';
}

function describeError(err: unknown): string {
  if (err instanceof HttpError) return `${err.kind}: ${err.message}`.slice(0, 200);
  const msg = err instanceof Error ? err.message : String(err);
  return `probe failed: ${msg}`.slice(0, 200);
}
