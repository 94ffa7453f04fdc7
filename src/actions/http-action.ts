/**
 * An HTTP action or step (seed 003's actuator toggles): method, URL, JSON
 * body, headers whose secret values are read from the environment or a file
 * at run time. Only header names are recorded; the values are masked from
 * every line of output.
 */
import { isSecretKey, redactUrl } from '../audit/redact.js';
import { HttpError, type HttpTransport } from '../sources/types.js';
import type { OutputSink } from './output.js';
import { resolveSecretRef, SecretError } from './secrets.js';
import type { HttpSpec } from './steps.js';
import type { StepStatus } from './types.js';

const MAX_RESPONSE_BYTES = 1024 * 1024;
const BODY_LINES_SHOWN = 40;

export interface HttpStepOutcome {
  status: StepStatus;
  httpStatus?: number;
  note?: string;
  record: { method: string; url: string; headers: string[] };
}

export interface HttpStepDeps {
  step: string;
  spec: HttpSpec;
  timeoutMs: number;
  env: Record<string, string>;
  planDir: string;
  sink: OutputSink;
  transport(): HttpTransport;
  signal?: AbortSignal | undefined;
}

/** What a step's result keeps of its HTTP call: method, redacted URL, header names only. */
export function httpRecord(spec: HttpSpec, sink: OutputSink): HttpStepOutcome['record'] {
  return { method: spec.method, url: redactUrl(spec.url, sink.knownSecrets), headers: Object.keys(spec.headers ?? {}) };
}

export async function runHttpStep(d: HttpStepDeps): Promise<HttpStepOutcome> {
  const { spec, sink } = d;
  const record = (): HttpStepOutcome['record'] => httpRecord(spec, sink);

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.headers ?? {})) {
    if (typeof value === 'string') {
      if (isSecretKey(name)) sink.addSecrets([value]);
      headers[name] = value;
      continue;
    }
    try {
      const secret = resolveSecretRef(value, d.env, d.planDir);
      sink.addSecrets([secret]);
      headers[name] = secret;
    } catch (err) {
      const why = err instanceof SecretError ? err.message : 'cannot resolve the secret';
      const note = `header ${name}: ${why}`;
      sink.line(d.step, 'flightdeck', note);
      return { status: 'failed', note, record: record() };
    }
  }
  let body: string | undefined;
  if (spec.body !== undefined) {
    body = typeof spec.body === 'string' ? spec.body : JSON.stringify(spec.body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }

  const rec = record();
  sink.line(d.step, 'flightdeck', `${spec.method} ${rec.url}${rec.headers.length ? ` (headers: ${rec.headers.join(', ')})` : ''}`);
  if (d.signal?.aborted) return { status: 'aborted', note: 'aborted', record: rec };

  let res;
  try {
    const req = { method: spec.method, url: spec.url, headers, timeoutMs: d.timeoutMs, maxBytes: MAX_RESPONSE_BYTES, ...(body !== undefined ? { body } : {}), ...(d.signal ? { signal: d.signal } : {}) };
    res = await d.transport().request(req);
  } catch (err) {
    const message = sink.mask(err instanceof Error ? err.message : String(err));
    sink.line(d.step, 'flightdeck', message);
    if (err instanceof HttpError && err.kind === 'timeout') return { status: 'timed out', note: message, record: rec };
    if ((err instanceof HttpError && err.kind === 'aborted') || d.signal?.aborted) return { status: 'aborted', note: 'aborted', record: rec };
    return { status: 'failed', note: message, record: rec };
  }

  const expected = spec.expectStatus;
  const ok = expected ? expected.includes(res.status) : res.status >= 200 && res.status < 300;
  sink.line(d.step, 'flightdeck', `HTTP ${res.status} in ${Math.round(res.latencyMs)} ms`);
  const lines = res.body.split('\n').filter((l) => l.length > 0);
  for (const l of lines.slice(0, BODY_LINES_SHOWN)) sink.line(d.step, 'stdout', l);
  if (lines.length > BODY_LINES_SHOWN) sink.line(d.step, 'flightdeck', `… ${lines.length - BODY_LINES_SHOWN} more lines of response`);
  const want = expected ? expected.join(' or ') : '2xx';
  return ok
    ? { status: 'ok', httpStatus: res.status, record: rec }
    : { status: 'failed', httpStatus: res.status, note: `HTTP ${res.status}, expected ${want}`, record: rec };
}
