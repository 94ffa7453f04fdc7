/**
 * The Prometheus HTTP API client (/api/v1/query, /alerts, /series, /-/ready).
 * Every answer is checked against the shape Prometheus sends; anything else is
 * a PromError('malformed'), never a number made up from garbage.
 */
import * as z from 'zod';
import { resolveSecretRef, type ReadFile, type SecretRef } from '../actions/secrets.js';
import { secretMasker } from '../audit/redact.js';
import type { Plan } from '../plan/schema.js';
import {
  HttpError,
  PromError,
  type HttpResponse,
  type HttpTransport,
  type PromAlert,
  type PromClient,
  type PromErrorKind,
  type PromQueryResult,
  type PromRule,
  type PromSample,
} from './types.js';

export interface PromClientOptions {
  url: string;
  transport: HttpTransport;
  timeoutMs: number;
  /** Response cap (default 8 MiB). */
  maxBytes?: number;
  /** Bearer token, already resolved from env/file. */
  token?: string;
  /** Extra headers, already resolved. */
  headers?: Record<string, string>;
}

/** Above this URL length a query goes as a POST form (proxies cut long URLs). */
export const MAX_GET_URL = 2000;
const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;

// ------------------------------------------------------------ response shapes

const labelSet = z.record(z.string(), z.string());
const pair = z.tuple([z.number(), z.string()]);
const vectorItem = z.object({ metric: labelSet, value: pair.optional(), histogram: z.unknown().optional() });
const matrixItem = z.object({ metric: labelSet, values: z.array(pair).optional(), histograms: z.unknown().optional() });
const queryData = z.discriminatedUnion('resultType', [
  z.object({ resultType: z.literal('vector'), result: z.array(vectorItem) }),
  z.object({ resultType: z.literal('matrix'), result: z.array(matrixItem) }),
  z.object({ resultType: z.literal('scalar'), result: pair }),
  z.object({ resultType: z.literal('string'), result: pair }),
]);
const alertsData = z.object({
  alerts: z.array(
    z.object({
      labels: labelSet,
      annotations: labelSet.optional(),
      state: z.enum(['pending', 'firing', 'inactive']),
      activeAt: z.string().optional(),
      value: z.string().optional(),
    }),
  ),
});
const seriesData = z.array(labelSet);
const rulesData = z.object({
  groups: z.array(
    z.object({
      name: z.string(),
      rules: z.array(z.object({ name: z.string(), type: z.enum(['alerting', 'recording']), query: z.string() })),
    }),
  ),
});
const envelope = z.object({
  status: z.enum(['success', 'error']),
  data: z.unknown().optional(),
  errorType: z.string().optional(),
  error: z.string().optional(),
  warnings: z.array(z.unknown()).optional(),
  infos: z.array(z.unknown()).optional(),
});

// ------------------------------------------------------------ numbers

const FLOAT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Prometheus's string form of a float ("1.5", "1e+00", "NaN", "+Inf", "-Inf") -> number, or undefined. */
export function parsePromNumber(s: string): number | undefined {
  if (FLOAT.test(s)) return Number(s);
  const t = s.toLowerCase();
  if (t === 'nan') return NaN;
  if (t === '+inf' || t === 'inf' || t === '+infinity' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  return undefined;
}

// ------------------------------------------------------------ client

export function createPromClient(opts: PromClientOptions): PromClient {
  const base = opts.url.replace(/\/+$/, '');
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const redact = secretMasker([opts.token, ...Object.values(opts.headers ?? {})], '***');
  const fail = (kind: PromErrorKind, message: string, status?: number): PromError => new PromError(kind, redact(message), status);

  const baseHeaders: Record<string, string> = { accept: 'application/json', 'user-agent': 'flightdeck' };
  for (const [k, v] of Object.entries(opts.headers ?? {})) baseHeaders[k.toLowerCase()] = v;
  if (opts.token) baseHeaders.authorization = `Bearer ${opts.token}`;

  async function send(path: string, params: URLSearchParams, signal: AbortSignal | undefined): Promise<HttpResponse> {
    const qs = params.toString();
    const getUrl = qs ? `${base}${path}?${qs}` : `${base}${path}`;
    const post = getUrl.length > MAX_GET_URL;
    try {
      return await opts.transport.request({
        method: post ? 'POST' : 'GET',
        url: post ? `${base}${path}` : getUrl,
        headers: post ? { ...baseHeaders, 'content-type': 'application/x-www-form-urlencoded' } : baseHeaders,
        body: post ? qs : undefined,
        timeoutMs: opts.timeoutMs,
        maxBytes,
        signal,
      });
    } catch (err) {
      throw transportError(err, path);
    }
  }

  function transportError(err: unknown, path: string): PromError {
    if (err instanceof HttpError) {
      // PromErrorKind has no 'aborted': a cancelled request is reported as a timeout that the caller chose.
      const kind: PromErrorKind = err.kind === 'aborted' ? 'timeout' : err.kind;
      return fail(kind, `Prometheus ${path}: ${err.message}`);
    }
    return fail('unreachable', `Prometheus ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }

  /** Sends, checks the envelope, returns `data` and the warnings. */
  async function call(path: string, params: URLSearchParams, signal?: AbortSignal): Promise<{ data: unknown; warnings: string[] }> {
    const res = await send(path, params, signal);
    const ok = res.status >= 200 && res.status < 300;
    let json: unknown;
    try {
      json = JSON.parse(res.body);
    } catch {
      if (res.status === 503) throw fail('unavailable', `Prometheus ${path}: 503 ${snippet(res.body) || 'Service Unavailable'}`, 503);
      if (!ok) throw fail('http', `Prometheus ${path}: HTTP ${res.status} ${snippet(res.body)}`.trimEnd(), res.status);
      throw fail('malformed', `Prometheus ${path}: expected JSON, got ${describeBody(res.body)}`, res.status);
    }
    const env = envelope.safeParse(json);
    if (!env.success) {
      if (!ok) throw fail(res.status === 503 ? 'unavailable' : 'http', `Prometheus ${path}: HTTP ${res.status}`, res.status);
      throw fail('malformed', `Prometheus ${path}: not a Prometheus API response (${firstIssue(env.error)})`, res.status);
    }
    const e = env.data;
    if (e.status === 'error') {
      const msg = `Prometheus ${path}: ${e.errorType ?? 'error'}: ${(e.error ?? '').slice(0, 300)}`;
      throw fail(errorKind(e.errorType, res.status), msg, res.status);
    }
    if (!ok) throw fail(res.status === 503 ? 'unavailable' : 'http', `Prometheus ${path}: HTTP ${res.status}`, res.status);
    if (e.data === undefined) throw fail('malformed', `Prometheus ${path}: response has no data`, res.status);
    if (e.data === null) throw fail('malformed', `Prometheus ${path}: response data is null`, res.status);
    const warnings = [...(e.warnings ?? []), ...(e.infos ?? [])].filter((w): w is string => typeof w === 'string');
    return { data: e.data, warnings };
  }

  function check<T>(schema: z.ZodType<T>, data: unknown, path: string): T {
    const r = schema.safeParse(data);
    if (!r.success) throw fail('malformed', `Prometheus ${path}: unexpected data (${firstIssue(r.error, 'data')})`);
    return r.data;
  }

  function num(s: string, path: string, where: string): number {
    const v = parsePromNumber(s);
    if (v === undefined) throw fail('malformed', `Prometheus ${path}: ${where} is not a number: ${JSON.stringify(s.slice(0, 40))}`);
    return v;
  }

  function sample(labels: Record<string, string>, p: [number, string], path: string, where: string): PromSample {
    return { labels, value: num(p[1], path, where), timestamp: Math.round(p[0] * 1000) };
  }

  return {
    url: base,

    async query(expr, o = {}) {
      const path = '/api/v1/query';
      const params = new URLSearchParams({ query: expr });
      if (o.time !== undefined) params.set('time', (o.time / 1000).toString());
      const { data, warnings } = await call(path, params, o.signal);
      const d = check(queryData, data, path);
      const samples: PromSample[] = [];
      switch (d.resultType) {
        case 'vector':
          d.result.forEach((item, i) => {
            if (!item.value) throw fail('malformed', `Prometheus ${path}: data.result[${i}] has no float value${item.histogram ? ' (native histograms are not supported; use histogram_quantile or a float series)' : ''}`);
            samples.push(sample(item.metric, item.value, path, `data.result[${i}].value`));
          });
          break;
        case 'matrix':
          d.result.forEach((item, i) => {
            const last = item.values?.at(-1);
            if (last) samples.push(sample(item.metric, last, path, `data.result[${i}].values`));
            else if (item.histograms) throw fail('malformed', `Prometheus ${path}: data.result[${i}] holds native histograms, which are not supported`);
          });
          break;
        case 'scalar':
          samples.push(sample({}, d.result, path, 'scalar result'));
          break;
        case 'string': {
          const v = parsePromNumber(d.result[1]);
          if (v === undefined) warnings.push(`string result is not a number: ${JSON.stringify(d.result[1].slice(0, 40))}`);
          else samples.push({ labels: {}, value: v, timestamp: Math.round(d.result[0] * 1000) });
          break;
        }
      }
      return { resultType: d.resultType, samples, warnings } satisfies PromQueryResult;
    },

    async queryRange(expr, o) {
      const path = '/api/v1/query_range';
      // The step in seconds to the millisecond (not rounded to whole seconds): callers map the answer back onto this grid.
      const params = new URLSearchParams({ query: expr, start: (o.start / 1000).toString(), end: (o.end / 1000).toString(), step: (o.stepMs / 1000).toString() });
      const { data } = await call(path, params, o.signal);
      const d = check(queryData, data, path);
      if (d.resultType !== 'matrix') throw fail('malformed', `Prometheus ${path}: expected a matrix, got ${d.resultType}`);
      return d.result.map((item, i) => ({
        labels: item.metric,
        values: (item.values ?? []).map((p, j) => sample(item.metric, p, path, `data.result[${i}].values[${j}]`)),
      }));
    },

    async alerts(o = {}) {
      const path = '/api/v1/alerts';
      const { data } = await call(path, new URLSearchParams(), o.signal);
      const d = check(alertsData, data, path);
      return d.alerts.map((a, i): PromAlert => {
        const name = a.labels.alertname;
        if (!name) throw fail('malformed', `Prometheus ${path}: data.alerts[${i}] has no alertname label`);
        const alert: PromAlert = { name, state: a.state, labels: a.labels, annotations: a.annotations ?? {} };
        if (a.activeAt !== undefined && !a.activeAt.startsWith('0001-01-01')) {
          const t = Date.parse(a.activeAt);
          if (Number.isNaN(t)) throw fail('malformed', `Prometheus ${path}: data.alerts[${i}].activeAt is not a time: ${JSON.stringify(a.activeAt.slice(0, 40))}`);
          alert.activeAt = t;
        }
        if (a.value !== undefined) alert.value = num(a.value, path, `data.alerts[${i}].value`);
        return alert;
      });
    },

    async series(match, o = {}) {
      const path = '/api/v1/series';
      if (match.length === 0) throw fail('bad_data', `Prometheus ${path}: at least one match[] selector is required`);
      const params = new URLSearchParams();
      for (const m of match) params.append('match[]', m);
      if (o.start !== undefined) params.set('start', (o.start / 1000).toString());
      if (o.end !== undefined) params.set('end', (o.end / 1000).toString());
      const { data } = await call(path, params, o.signal);
      return check(seriesData, data, path);
    },

    async rules(o = {}) {
      const path = '/api/v1/rules';
      const params = new URLSearchParams();
      if (o.type) params.set('type', o.type);
      const { data } = await call(path, params, o.signal);
      return check(rulesData, data, path).groups.flatMap((g) => g.rules.map((r) => ({ name: r.name, type: r.type, group: g.name, query: r.query })));
    },

    async ready(o = {}) {
      try {
        const res = await opts.transport.request({
          method: 'GET',
          url: `${base}/-/ready`,
          headers: baseHeaders,
          timeoutMs: opts.timeoutMs,
          maxBytes: 64 * 1024,
          signal: o.signal,
        });
        return res.status === 200;
      } catch {
        return false;
      }
    },
  };
}

function errorKind(errorType: string | undefined, status: number): PromErrorKind {
  switch (errorType) {
    case 'bad_data':
      return 'bad_data';
    case 'execution':
      return 'execution';
    case 'timeout':
    case 'canceled':
      return 'timeout';
    case 'unavailable':
      return 'unavailable';
    default:
      return status === 503 ? 'unavailable' : 'http';
  }
}

function firstIssue(err: z.ZodError, root = 'body'): string {
  const i = err.issues[0];
  if (!i) return 'invalid';
  const path = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  return `${root}${path}: ${i.message}`;
}

function snippet(body: string): string {
  return body.replace(/\s+/g, ' ').trim().slice(0, 80);
}

function describeBody(body: string): string {
  const t = body.trimStart();
  if (t === '') return 'an empty body';
  if (t.startsWith('<')) return 'an HTML page';
  if (t.startsWith('{') || t.startsWith('[')) return `truncated or invalid JSON (${body.length} bytes)`;
  return `text "${snippet(body).slice(0, 40)}"`;
}

// ------------------------------------------------------------ secrets

export type PromAuthSpec = Pick<NonNullable<Plan['prometheus']>, 'tokenEnv' | 'tokenFile' | 'headers'>;
/**
 * Resolves the plan's token and header references to values. Throws an Error
 * naming the variable or file (never the value) when one is missing or empty.
 * Relative files resolve against `baseDir` (the plan's directory) when given.
 */
export function resolvePromAuth(
  spec: PromAuthSpec | undefined,
  env: Record<string, string | undefined>,
  readFileSync: ReadFile,
  baseDir?: string,
): { token?: string; headers: Record<string, string> } {
  const out: { token?: string; headers: Record<string, string> } = { headers: {} };
  if (!spec) return out;
  const read = (ref: SecretRef, what: string): string => {
    try {
      return resolveSecretRef(ref, env, baseDir, readFileSync);
    } catch (err) {
      throw new Error(`${what}: ${(err as Error).message}`);
    }
  };
  if (spec.tokenEnv && spec.tokenFile) throw new Error('Prometheus token: give tokenEnv or tokenFile, not both');
  if (spec.tokenEnv || spec.tokenFile) out.token = read({ env: spec.tokenEnv, file: spec.tokenFile }, 'Prometheus token');
  for (const [name, ref] of Object.entries(spec.headers ?? {})) {
    if (ref.env || ref.file) out.headers[name] = read(ref, `Prometheus header ${name}`);
  }
  return out;
}
