/**
 * The real network: undici with one shared keep-alive Agent, a bounded number
 * of connections per origin, a timeout that covers connect, headers and body,
 * and a byte cap enforced while the body streams in.
 */
import { Agent, request } from 'undici';
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

export function createHttpTransport(opts: HttpTransportOptions = {}): UndiciTransport {
  const agent = new Agent({
    connections: opts.connections ?? 16,
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? 10_000,
    keepAliveMaxTimeout: Math.max(opts.keepAliveTimeoutMs ?? 10_000, 10_000),
  });
  let closed = false;

  async function send(req: HttpRequest): Promise<HttpResponse> {
    if (closed) throw new HttpError('unreachable', 'the HTTP transport is closed');
    const started = performance.now();
    // Only an error names the URL: parse it then, not for every probe.
    const where = (): string => describe(req.url);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(TIMEOUT), req.timeoutMs);
    const onCallerAbort = (): void => controller.abort(CALLER_ABORT);
    if (req.signal?.aborted) {
      clearTimeout(timer);
      throw new HttpError('aborted', `request to ${where()} aborted`);
    }
    req.signal?.addEventListener('abort', onCallerAbort, { once: true });

    try {
      const res = await request(req.url, {
        dispatcher: agent,
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal: controller.signal,
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
      });
      const body = res.body;
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > req.maxBytes) {
        body.destroy();
        throw new HttpError('too_large', `response from ${where()} is ${declared} bytes, over the ${req.maxBytes}-byte limit`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of body) {
          const buf = chunk as Buffer;
          size += buf.length;
          if (size > req.maxBytes) {
            throw new HttpError('too_large', `response from ${where()} exceeded the ${req.maxBytes}-byte limit`);
          }
          chunks.push(buf);
        }
      } finally {
        // Leaving the loop early (cap, abort, error) must not leave the socket half-read.
        if (!body.readableEnded) body.destroy();
      }
      return {
        status: res.statusCode,
        headers: lowerKeys(res.headers),
        body: Buffer.concat(chunks).toString('utf8'),
        latencyMs: performance.now() - started,
      };
    } catch (err) {
      throw toHttpError(err, controller.signal, where(), req.timeoutMs);
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  return {
    request: send,
    async close() {
      if (closed) return;
      closed = true;
      await agent.close();
    },
    openSockets() {
      let n = 0;
      for (const s of Object.values(agent.stats)) {
        n += typeof s.connected === 'number' ? s.connected : s.connected ? 1 : 0;
      }
      return n;
    },
  };
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

function lowerKeys(h: Record<string, string | string[] | undefined>): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}
