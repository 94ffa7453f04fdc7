/**
 * The Prometheus HTTP API endpoints promlite answers, as pure functions of
 * the request parameters: /api/v1/query, /query_range, /series, /alerts, /rules,
 * /targets, /status/buildinfo. Status codes, envelopes and error texts follow
 * Prometheus 2.42 (400 bad_data, 422 execution).
 */
import type { Clock } from '../../clock.js';
import type { ActiveAlert, RuleStatus } from './alerting.js';
import { QueryError, badData } from './errors.js';
import { MAX_RANGE_POINTS, evaluate, rangeQuery } from './eval.js';
import { errorJson, formatAlertValue, formatRfc3339, instantDataJson, labelsJson, rangeDataJson, successJson } from './format.js';
import { compareLabels, labelsKey, type Labels, type Matcher } from './labels.js';
import { parsePromDuration } from './literals.js';
import { parseExpr } from './parse.js';
import type { TargetHealth } from './scraper.js';
import type { SeriesStore } from './store.js';

export interface ApiContext {
  store: SeriesStore;
  clock: Clock;
  alerts?: () => ActiveAlert[];
  rules?: () => RuleStatus[];
  targets?: () => TargetHealth[];
  job?: string;
}

export interface ApiResponse {
  status: number;
  body: string;
  contentType: string;
  headers?: Record<string, string>;
}

/** Param getter: the first value, or every value (match[]). */
export interface Params {
  get(name: string): string | undefined;
  getAll(name: string): string[];
}

export const BUILD_VERSION = 'flightdeck-promlite';
const JSON_TYPE = 'application/json';

const ok = (dataJson: string): ApiResponse => ({ status: 200, body: successJson(dataJson), contentType: JSON_TYPE });
const fail = (status: number, type: string, message: string): ApiResponse => ({ status, body: errorJson(type, message), contentType: JSON_TYPE });

function invalidParam(name: string, message: string): QueryError {
  return badData(`invalid parameter ${JSON.stringify(name)}: ${message}`);
}

/** Prometheus's parseTime: float seconds (ms precision) or RFC 3339. */
export function parseTimeParam(s: string, name: string): number {
  const f = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s.trim()) ? Number(s) : NaN;
  if (Number.isFinite(f)) {
    const whole = Math.trunc(f);
    return whole * 1000 + Math.round((f - whole) * 1000);
  }
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s)) {
    const t = Date.parse(s);
    if (!Number.isNaN(t)) return t;
  }
  throw invalidParam(name, `Invalid time value for '${name}': cannot parse ${JSON.stringify(s)} to a valid timestamp`);
}

/** Prometheus's parseDuration: float seconds or a duration string. */
export function parseDurationParam(s: string, name: string): number {
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s.trim())) {
    const ms = Number(s) * 1000;
    if (Number.isFinite(ms)) return Math.round(ms);
  }
  try {
    if (s !== '') return parsePromDuration(s);
  } catch {
    // fall through to the API's own wording
  }
  throw invalidParam(name, `cannot parse ${JSON.stringify(s)} to a valid duration`);
}

function run(fn: () => ApiResponse): ApiResponse {
  try {
    return fn();
  } catch (err) {
    if (err instanceof QueryError) return fail(err.type === 'bad_data' ? 400 : 422, err.type, err.message);
    return fail(422, 'execution', err instanceof Error ? err.message : String(err));
  }
}

/** Parses the query, re-wording a syntax error as Prometheus does for the "query" parameter. */
function parseQueryParam(query: string) {
  try {
    return parseExpr(query);
  } catch (err) {
    if (err instanceof QueryError && err.type === 'bad_data') throw invalidParam('query', err.message);
    throw err;
  }
}

export function instantQueryApi(ctx: ApiContext, params: Params): ApiResponse {
  return run(() => {
    const t = params.get('time');
    const ts = t === undefined || t === '' ? ctx.clock.now() : parseTimeParam(t, 'time');
    const expr = parseQueryParam(params.get('query') ?? '');
    return ok(instantDataJson(evaluate(expr, ctx.store, ts), ts));
  });
}

export function rangeQueryApi(ctx: ApiContext, params: Params): ApiResponse {
  return run(() => {
    const start = parseTimeParam(params.get('start') ?? '', 'start');
    const end = parseTimeParam(params.get('end') ?? '', 'end');
    if (end < start) throw invalidParam('end', 'end timestamp must not be before start time');
    const step = parseDurationParam(params.get('step') ?? '', 'step');
    if (step <= 0) throw invalidParam('step', 'zero or negative query resolution step widths are not accepted. Try a positive integer');
    if ((end - start) / step > MAX_RANGE_POINTS) {
      throw badData('exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
    }
    const query = params.get('query') ?? '';
    parseQueryParam(query);
    return ok(rangeDataJson(rangeQuery(query, ctx.store, start, end, step)));
  });
}

export function seriesApi(ctx: ApiContext, params: Params): ApiResponse {
  return run(() => {
    const matches = params.getAll('match[]');
    if (matches.length === 0) throw badData('no match[] parameter provided');
    const s = params.get('start');
    const e = params.get('end');
    const start = s ? parseTimeParam(s, 'start') : -Infinity;
    const end = e ? parseTimeParam(e, 'end') : Infinity;
    if (end < start) throw invalidParam('end', 'end timestamp must not be before start time');
    const found = new Map<string, Labels>();
    for (const m of matches) {
      for (const series of ctx.store.select(selectorMatchers(m))) {
        if (series.hasSamplesIn(start, end)) found.set(labelsKey(series.labels), series.labels);
      }
    }
    const sorted = [...found.values()].sort(compareLabels);
    return ok(`[${sorted.map(labelsJson).join(',')}]`);
  });
}

function selectorMatchers(text: string): Matcher[] {
  let expr;
  try {
    expr = parseExpr(text);
  } catch (err) {
    throw invalidParam('match[]', (err as Error).message);
  }
  if (expr.kind !== 'vectorSelector' || expr.offsetMs) throw invalidParam('match[]', `expected a series selector like metric{label="value"}, got ${JSON.stringify(text)}`);
  return expr.matchers;
}

export function alertsApi(ctx: ApiContext): ApiResponse {
  const alerts = (ctx.alerts?.() ?? []).map(
    (a) =>
      `{"labels":${labelsJson(a.labels)},"annotations":${labelsJson(a.annotations)},"state":"${a.state}","activeAt":"${formatRfc3339(a.activeAt)}",` +
      `${a.keepFiringSince !== undefined ? `"keepFiringSince":"${formatRfc3339(a.keepFiringSince)}",` : ''}"value":${JSON.stringify(formatAlertValue(a.value))}}`,
  );
  return ok(`{"alerts":[${alerts.join(',')}]}`);
}

/** /api/v1/rules: the rule groups in file order; `type=alert|record` keeps one kind. */
export function rulesApi(ctx: ApiContext, params: Params): ApiResponse {
  const type = params.get('type');
  if (type !== undefined && type !== '' && type !== 'alert' && type !== 'record') return fail(400, 'bad_data', `invalid parameter "type": ${JSON.stringify(type)} is not "alert" or "record"`);
  const groups: Array<{ name: string; file: string; rules: unknown[]; interval: number }> = [];
  for (const r of ctx.rules?.() ?? []) {
    if (type && r.kind !== type) continue;
    let g = groups.at(-1);
    if (!g || g.name !== r.group) groups.push((g = { name: r.group, file: 'rules.yml', rules: [], interval: 0 }));
    g.rules.push({
      name: r.name,
      query: r.query,
      type: r.kind === 'alert' ? 'alerting' : 'recording',
      health: r.health,
      lastError: r.lastError ?? '',
      lastEvaluation: r.lastEvaluation !== undefined ? formatRfc3339(r.lastEvaluation) : '0001-01-01T00:00:00Z',
    });
  }
  return ok(JSON.stringify({ groups }));
}

export function targetsApi(ctx: ApiContext): ApiResponse {
  const targets = (ctx.targets?.() ?? []).map((t) => ({
    discoveredLabels: { __address__: t.instance, job: ctx.job ?? 'fleet' },
    labels: { instance: t.instance, job: ctx.job ?? 'fleet' },
    scrapePool: ctx.job ?? 'fleet',
    scrapeUrl: t.url,
    lastError: t.lastError ?? '',
    lastScrape: t.lastScrape !== undefined ? formatRfc3339(t.lastScrape) : '0001-01-01T00:00:00Z',
    health: t.health,
  }));
  return ok(JSON.stringify({ activeTargets: targets, droppedTargets: [] }));
}

export function buildInfoApi(): ApiResponse {
  return ok(JSON.stringify({ version: BUILD_VERSION, revision: '', branch: '', buildUser: '', buildDate: '', goVersion: `node ${process.version}` }));
}
