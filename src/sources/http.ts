/**
 * The real network: undici with one shared keep-alive Agent, a bounded number
 * of connections per origin, a timeout that covers connect, headers and body,
 * and a byte cap enforced while the body streams in.
 *
 * undici itself is loaded at the first request, not with this module: the
 * cockpit draws its first frame before its first poll, and loading undici
 * (with node:tls, zlib and its HTTP parser) took ~65 ms of `flightdeck watch`'s
 * start-up before that frame (--cpu-prof, issue 14).
 */
import type { Readable } from 'node:stream';
import type { Agent } from 'undici';
import { HttpError, type HttpRequest, type HttpResponse, type HttpTransport } from './types.js';

export interface HttpTransportOptions {
  /** Sockets per origin (default 16). */
  connections?: number;
  /** How long an idle keep-alive socket is kept (default 10 s). */
  keepAliveTimeoutMs?: number;
}

export interface UndiciTransport extends HttpTransport {
  /** Sockets currently open, across every origin (from undici's pool stats). */
  openSockets(): number;
}

/** Abort reasons we set ourselves, so we can tell our timer from the caller's signal. */
const TIMEOUT = Symbol('timeout');
const CALLER_ABORT = Symbol('aborted');

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

type Undici = typeof import('undici');
let undiciLoaded: Promise<Undici> | undefined;
/**
 * undici is CommonJS: Node's loader gives its exports as named exports and as the default, the
 * esbuild bundle as the default only (a chunk that does `export default require_undici()`).
 */
const loadUndici = (): Promise<Undici> => (undiciLoaded ??= import('undici').then((m) => ((m as { default?: unknown }).default ?? m) as Undici));

export function createHttpTransport(opts: HttpTransportOptions = {}): UndiciTransport {
  let closed = false;
  // Counted from the agent's own events: reading agent.stats walks every origin's pool.
  let sockets = 0;
  let agent: Promise<{ agent: Agent; request: Undici['request'] }> | undefined;
  const ready = () =>
    (agent ??= loadUndici().then((u) => {
      const a = new u.Agent({
        connections: opts.connections ?? 16,
        keepAliveTimeout: opts.keepAliveTimeoutMs ?? 10_000,
        keepAliveMaxTimeout: Math.max(opts.keepAliveTimeoutMs ?? 10_000, 10_000),
      });
      a.on('connect', () => sockets++);
      a.on('disconnect', () => sockets--);
      return { agent: a, request: u.request };
    }));

  async function send(req: HttpRequest): Promise<HttpResponse> {
    if (closed) throw new HttpError('unreachable', 'the HTTP transport is closed');
    const { agent: dispatcher, request } = await ready();
    const started = performance.now();
    // Only an error names the URL: parse it then, not for every probe.
    const where = (): string => describe(req.url);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(TIMEOUT), req.timeoutMs);
    if (req.signal?.aborted) {
      clearTimeout(timer);
      throw new HttpError('aborted', `request to ${where()} aborted`);
    }
    const unlink = req.signal ? onAbort(req.signal, () => controller.abort(CALLER_ABORT)) : undefined;

    try {
      const res = await request(req.url, {
        dispatcher,
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal: controller.signal,
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
      });
      const body = res.body;
      try {
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > req.maxBytes) {
          throw new HttpError('too_large', `response from ${where()} is ${declared} bytes, over the ${req.maxBytes}-byte limit`);
        }
        const text = await readCapped(body, req.maxBytes, where);
        return {
          status: res.statusCode,
          // undici hands header names in lower case (util.parseHeaders), as HttpResponse promises.
          headers: res.headers,
          body: text,
          latencyMs: performance.now() - started,
        };
      } finally {
        // Leaving early (cap, abort, error) must not leave the socket half-read.
        if (!body.readableEnded) body.destroy();
      }
    } catch (err) {
      throw toHttpError(err, controller.signal, where(), req.timeoutMs);
    } finally {
      clearTimeout(timer);
      unlink?.();
    }
  }

  return {
    request: send,
    async close() {
      if (closed) return;
      closed = true;
      if (agent) await (await agent).agent.close();
    },
    openSockets: () => sockets,
  };
}

/**
 * Callers' signals, each with one 'abort' listener that runs the callbacks of the requests in
 * flight under it. A node poll hands the same signal to a thousand requests: adding and removing
 * an EventTarget listener for each cost more than the rest of our per-request work.
 */
const underSignal = new WeakMap<AbortSignal, Set<() => void>>();

/** Runs `fn` when `signal` aborts; returns the unlink, to call once the request is over. */
function onAbort(signal: AbortSignal, fn: () => void): () => void {
  let fns = underSignal.get(signal);
  if (!fns) {
    const set = new Set<() => void>();
    underSignal.set(signal, set);
    signal.addEventListener(
      'abort',
      () => {
        for (const f of [...set]) f();
        set.clear();
      },
      { once: true },
    );
    fns = set;
  }
  const mine = fns;
  mine.add(fn);
  return () => void mine.delete(fn);
}

function toHttpError(err: unknown, signal: AbortSignal, where: string, timeoutMs: number): HttpError {
  if (err instanceof HttpError) return err;
  if (signal.aborted) {
    if (signal.reason === TIMEOUT) return new HttpError('timeout', `request to ${where} timed out after ${timeoutMs} ms`);
    return new HttpError('aborted', `request to ${where} aborted`);
  }
  const code = errorCode(err);
  if (code && TIMEOUT_CODES.has(code)) return new HttpError('timeout', `request to ${where} timed out after ${timeoutMs} ms (${code})`);
  if (code && UNREACHABLE_CODES.has(code)) return new HttpError('unreachable', `${where} is unreachable (${code})`);
  const msg = err instanceof Error ? err.message : String(err);
  return new HttpError('unreachable', `${where} is unreachable: ${msg}`);
}

function errorCode(err: unknown): string | undefined {
  // Node wraps some connect failures (AggregateError for happy-eyeballs) and undici sets `code`.
  let e: unknown = err;
  for (let depth = 0; depth < 3 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const inner = (e as { errors?: unknown[]; cause?: unknown }).errors?.[0] ?? (e as { cause?: unknown }).cause;
    e = inner;
  }
  return undefined;
}

/** Origin and path only: never the query string, which may hold a PromQL expression or credentials. */
function describe(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'an invalid URL';
  }
}

/** A body of no declared length, read up to `maxBytes`: one listener per body, not an async iterator's promise per chunk. */
function readCapped(body: Readable, maxBytes: number, where: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new HttpError('too_large', `response from ${where()} exceeded the ${maxBytes}-byte limit`));
        body.destroy();
        return;
      }
      chunks.push(chunk);
    });
    let ended = false;
    body.once('end', () => {
      ended = true;
      resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    });
    body.once('error', reject);
    // Closed without its end or an error (destroyed): fails here, unless the cap above has already said why.
    // An Error captures a stack: made only then, not after every body.
    body.once('close', () => {
      if (!ended) reject(new Error('the response body closed before its end'));
    });
  });
}
