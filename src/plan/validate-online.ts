/**
 * `validate --online`: asks the plan's Prometheus whether what the plan names
 * exists, so that a typo is caught before the deploy and not by a gate that
 * says "no data" (or, for an alert, "not firing") all window long:
 *
 * - every `alert:` gate names an alerting rule (/api/v1/rules), but `alert: "*"` (any alert);
 * - every query (and baseline query) is accepted by Prometheus itself (an
 *   instant query: a `bad_data` answer is the plan's mistake);
 * - every vector selector of every query, and every cardinality metric, has
 *   series in the last hour (/api/v1/series with a bounded range, so a large
 *   Prometheus is not asked for all its history). When a selector with label
 *   matchers has none, its bare metric is asked too, to tell a misspelled
 *   metric from a misspelled label.
 *
 * Answers are memoised: a selector or alert used by several gates is asked once.
 */
import pLimit from 'p-limit';
import { formatDuration } from '../duration.js';
import { moduleOf } from '../../checks/index.js';
import type { OnlineAsk } from '../gate-contract.js';
import { PromError, type PromClient, type PromRule } from '../sources/types.js';
import { promqlSelectors } from './promql.js';
import type { GateSpec, Plan } from './schema.js';
import type { PathSeg } from './secrets.js';
import leven from 'leven';

export const ONLINE_LOOKBACK_MS = 3_600_000;

export interface OnlineFinding {
  path: PathSeg[];
  /** For a query: the index of the selector inside it. */
  index?: number;
  message: string;
}

export interface OnlineReport {
  findings: OnlineFinding[];
  /** Set when Prometheus could not be asked at all (down, refused, timed out); findings are then partial. */
  failure?: string;
  checked: { alerts: number; queries: number; selectors: number };
}

export interface OnlineOptions {
  /** ms since the epoch: the end of the series range and the time of the instant queries. */
  now: number;
  lookbackMs?: number;
  signal?: AbortSignal;
  concurrency?: number;
  /** Run each query once to see Prometheus accept it (default true; `check` and `watch` run them anyway). */
  queries?: boolean;
}

/** Errors that say nothing about the plan: Prometheus could not answer. */
const TRANSPORT_KINDS = new Set(['unreachable', 'timeout', 'unavailable', 'http', 'too_large', 'malformed']);

function gatesOf(plan: Plan): Array<{ gate: GateSpec; path: PathSeg[] }> {
  return [
    ...plan.stages.flatMap((s, si) => s.gates.map((gate, gi) => ({ gate, path: ['stages', si, 'gates', gi] as PathSeg[] }))),
    ...plan.gates.map((gate, gi) => ({ gate, path: ['gates', gi] as PathSeg[] })),
  ];
}

/** Edit distance, case folded (a typo's closest name). */
function distance(a: string, b: string): number {
  return leven(a.toLowerCase(), b.toLowerCase());
}

function closest(name: string, names: string[]): string | undefined {
  const best = names.map((n) => [n, distance(name, n)] as const).sort((a, b) => a[1] - b[1])[0];
  return best && best[1] <= Math.max(2, Math.floor(name.length / 4)) ? best[0] : undefined;
}

export async function validateOnline(plan: Plan, prom: PromClient, o: OnlineOptions): Promise<OnlineReport> {
  const lookback = o.lookbackMs ?? ONLINE_LOOKBACK_MS;
  const since = formatDuration(lookback);
  const range = { start: o.now - lookback, end: o.now, signal: o.signal };
  const limit = pLimit(o.concurrency ?? 4);
  const findings: OnlineFinding[] = [];
  const report: OnlineReport = { findings, checked: { alerts: 0, queries: 0, selectors: 0 } };
  const gates = gatesOf(plan);
  // What each gate's kind asks (alert rules, queries, selectors), with the full path of its field.
  const asks = gates.flatMap(({ gate, path }) => (moduleOf(gate).onlineAsks?.(gate) ?? []).map((a): OnlineAsk => ({ ...a, field: [...path, ...a.field] })));

  // Transport failures end the run with one message instead of a finding per gate.
  const ask = async <T>(f: () => Promise<T>): Promise<T | PromError | undefined> => {
    if (report.failure) return undefined;
    try {
      return await f();
    } catch (err) {
      if (err instanceof PromError && !TRANSPORT_KINDS.has(err.kind)) return err;
      report.failure ??= err instanceof Error ? err.message : String(err);
      return undefined;
    }
  };

  const alertAsks = asks.flatMap((a) => ('alertRule' in a ? [a] : []));
  if (alertAsks.length > 0) {
    const rules = await ask(() => prom.rules({ signal: o.signal }));
    if (rules instanceof PromError) report.failure = rules.message;
    else if (rules) {
      const alerting = [...new Set(rules.filter((r: PromRule) => r.type === 'alerting').map((r) => r.name))];
      const recording = new Set(rules.filter((r) => r.type === 'recording').map((r) => r.name));
      for (const { alertRule: name, field } of alertAsks) {
        report.checked.alerts++;
        if (alerting.includes(name)) continue;
        const hint = closest(name, alerting);
        const message = recording.has(name)
          ? `"${name}" is a recording rule in Prometheus, not an alerting rule: this gate would never see it fire`
          : `Prometheus has no alerting rule named "${name}" (${alerting.length} alerting rule${alerting.length === 1 ? '' : 's'} loaded): this gate would never see it fire${hint ? `; did you mean "${hint}"?` : ''}`;
        findings.push({ path: field, message });
      }
    }
  }

  const seriesMemo = new Map<string, Promise<Array<Record<string, string>> | PromError | undefined>>();
  const series = (selector: string) => {
    let p = seriesMemo.get(selector);
    if (!p) {
      p = limit(() => ask(() => prom.series([selector], range)));
      seriesMemo.set(selector, p);
    }
    return p;
  };
  const queryMemo = new Map<string, Promise<unknown>>();
  const instant = (q: string) => {
    let p = queryMemo.get(q);
    if (!p) {
      p = limit(() => ask(() => prom.query(q, { time: o.now, signal: o.signal })));
      queryMemo.set(q, p);
    }
    return p;
  };

  const checkSelector = async (text: string, metric: string | undefined, path: PathSeg[], index: number | undefined) => {
    report.checked.selectors++;
    const found = await series(text);
    if (found instanceof PromError) {
      findings.push({ path, index, message: `Prometheus refuses the selector ${text}: ${found.message}` });
      return;
    }
    if (!found || found.length > 0) return;
    if (metric && metric !== text) {
      const bare = await series(metric);
      if (Array.isArray(bare) && bare.length > 0) {
        findings.push({ path, index, message: `no series match ${text} in the last ${since}, though ${metric} has ${bare.length}: a label matcher is off` });
        return;
      }
    }
    findings.push({ path, index, message: `no series match ${text} in the last ${since}: a misspelled metric, or one not exported yet` });
  };

  const checkQuery = async (q: string, path: PathSeg[]) => {
    report.checked.queries++;
    const answer = o.queries === false ? undefined : await instant(q);
    if (answer instanceof PromError) {
      findings.push({ path, message: `Prometheus refuses this query: ${answer.message}` });
      return;
    }
    await Promise.all(promqlSelectors(q).map((s) => checkSelector(s.text, s.metric, path, s.offset)));
  };

  const work: Array<Promise<void>> = [];
  for (const a of asks) {
    if ('query' in a) work.push(checkQuery(a.query, a.field));
    else if ('selector' in a) work.push(checkSelector(a.selector, a.selector, a.field, undefined));
  }
  for (const { gate, path } of gates) if (gate.baseline?.query) work.push(checkQuery(gate.baseline.query, [...path, 'baseline', 'query']));
  await Promise.all(work);
  findings.sort((a, b) => JSON.stringify(a.path).localeCompare(JSON.stringify(b.path)) || (a.index ?? 0) - (b.index ?? 0));
  return report;
}
