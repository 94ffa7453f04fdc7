/**
 * A small undici-based HttpTransport the notifier uses when none is injected:
 * its own keep-alive Agent, a timeout covering connect, headers and body, and
 * a cap on the response size. Errors name the host only, never the path.
 */
import { Agent, request } from 'undici';
import { HttpError, type HttpRequest, type HttpResponse, type HttpTransport } from '../sources/types.js';

const TIMEOUT = Symbol('timeout');

export function createNotifyTransport(): HttpTransport {
  const agent = new Agent({ connections: 4, keepAliveTimeout: 4_000, keepAliveMaxTimeout: 10_000 });
  let closed = false;

  async function send(req: HttpRequest): Promise<HttpResponse> {
    const host = hostOf(req.url);
    if (closed) throw new HttpError('unreachable', 'the notifier transport is closed');
    if (req.signal?.aborted) throw new HttpError('aborted', `request to ${host} aborted`);
    const started = performance.now();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(TIMEOUT), req.timeoutMs);
    const onAbort = (): void => controller.abort();
    req.signal?.addEventListener('abort', onAbort, { once: true });
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
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of res.body) {
          size += (chunk as Buffer).length;
          if (size > req.maxBytes) throw new HttpError('too_large', `response from ${host} exceeded ${req.maxBytes} bytes`);
          chunks.push(chunk as Buffer);
        }
      } finally {
        if (!res.body.readableEnded) res.body.destroy();
      }
      const headers: Record<string, string | string[] | undefined> = {};
      for (const [k, v] of Object.entries(res.headers)) headers[k.toLowerCase()] = v;
      return { status: res.statusCode, headers, body: Buffer.concat(chunks).toString('utf8'), latencyMs: performance.now() - started };
    } catch (err) {
      if (err instanceof HttpError) throw err;
      if (controller.signal.aborted) {
        throw controller.signal.reason === TIMEOUT
          ? new HttpError('timeout', `request to ${host} timed out after ${req.timeoutMs} ms`)
          : new HttpError('aborted', `request to ${host} aborted`);
      }
      const code = codeOf(err);
      if (code && /TIMEOUT/i.test(code)) throw new HttpError('timeout', `request to ${host} timed out (${code})`);
      throw new HttpError('unreachable', `${host} is unreachable (${code ?? (err instanceof Error ? err.name : 'error')})`);
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
    }
  }

  return {
    request: send,
    async close() {
      if (closed) return;
      closed = true;
      await agent.close();
    },
  };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'an invalid URL';
  }
}

function codeOf(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 3 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { errors?: unknown[] }).errors?.[0] ?? (e as { cause?: unknown }).cause;
  }
  return undefined;
}
