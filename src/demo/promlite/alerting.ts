/**
 * Rule evaluation on the clock: recording rules write their results into the
 * store, alerting rules keep Prometheus's pending/firing state per label set
 * exactly as rules/alerting.go (2.42) does — an alert is pending from the
 * evaluation that first returned it (activeAt), fires once `for` has elapsed,
 * and is resolved when the expression stops returning it (or after
 * keep_firing_for). Active alerts also appear as ALERTS{alertstate} series.
 */
import type { Clock, TimerHandle } from '../../clock.js';
import { QueryError } from './errors.js';
import { evaluate } from './eval.js';
import { METRIC_NAME, labelsKey, normalizeLabels, type Labels } from './labels.js';
import { parseRules, type AlertingRule, type RecordingRule, type RuleGroup } from './rules.js';
import type { SeriesStore } from './store.js';
import { expandTemplate } from './template.js';
import type { VectorSample } from './values.js';

/** How long a resolved alert is remembered (Prometheus's resolvedRetention). */
const RESOLVED_RETENTION_MS = 15 * 60_000;

export interface RuleEvaluatorOptions {
  /** Parsed groups, or the text of a Prometheus rule file. */
  rules: RuleGroup[] | string;
  store: SeriesStore;
  clock: Clock;
  /** Clock time between evaluations of a group that sets no interval of its own. */
  intervalMs: number;
  externalLabels?: Record<string, string>;
}

export interface ActiveAlert {
  labels: Labels;
  annotations: Labels;
  state: 'pending' | 'firing';
  /** ms */
  activeAt: number;
  value: number;
  keepFiringSince?: number;
}

export interface RuleStatus {
  group: string;
  name: string;
  kind: 'alert' | 'record';
  /** The rule's expression as written. */
  query: string;
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
  lastEvaluation?: number;
}

export interface RuleEvaluator {
  /** Pending and firing alerts, in rule order. */
  alerts(): ActiveAlert[];
  /** Evaluates every group now (or at `ts`), outside the schedule. */
  evaluate(ts?: number): void;
  rules(): RuleStatus[];
  stop(): void;
}

interface AlertState {
  labels: Labels;
  annotations: Labels;
  state: 'pending' | 'firing' | 'inactive';
  activeAt: number;
  value: number;
  resolvedAt?: number;
  keepFiringSince?: number;
}

interface RuleRuntime {
  group: string;
  rule: AlertingRule | RecordingRule;
  status: RuleStatus;
  active: Map<string, AlertState>;
  /** Series written at the last evaluation, to mark stale when they vanish. */
  written: Map<string, Record<string, string>>;
}

export function createRuleEvaluator(opts: RuleEvaluatorOptions): RuleEvaluator {
  if (!(opts.intervalMs > 0)) throw new Error(`rule intervalMs must be positive, got ${String(opts.intervalMs)}`);
  const groups = typeof opts.rules === 'string' ? parseRules(opts.rules) : opts.rules;
  const { clock, store } = opts;
  const runtimes = groups.map((g) => ({
    group: g,
    intervalMs: g.intervalMs ?? opts.intervalMs,
    rules: g.rules.map(
      (rule): RuleRuntime => ({
        group: g.name,
        rule,
        status: { group: g.name, name: rule.name, kind: rule.kind, query: rule.exprText, health: 'unknown' },
        active: new Map(),
        written: new Map(),
      }),
    ),
  }));
  const timers = new Map<string, TimerHandle>();
  let stopped = false;

  const query = (r: RuleRuntime, ts: number): VectorSample[] => {
    const v = evaluate(r.rule.expr, store, ts);
    if (v.type === 'vector') return v.samples;
    if (v.type === 'scalar') return [{ labels: {}, v: v.v }];
    throw new QueryError('execution', `rule result is not a vector or scalar: ${v.type}`);
  };

  /** Writes this evaluation's series and marks the ones it no longer has stale. */
  const writeSeries = (r: RuleRuntime, series: Array<[Record<string, string>, number]>, ts: number): void => {
    const now = new Map<string, Record<string, string>>();
    for (const [labels, v] of series) {
      store.append(labels, ts, v);
      now.set(labelsKey(normalizeLabels(labels)), labels);
    }
    for (const [key, labels] of r.written) if (!now.has(key)) store.markStale(labels, ts);
    r.written = now;
  };

  const evalRecording = (r: RuleRuntime, rule: RecordingRule, ts: number): void => {
    const out: Array<[Record<string, string>, number]> = [];
    const keys = new Set<string>();
    for (const s of query(r, ts)) {
      const labels = { ...s.labels, ...rule.labels, [METRIC_NAME]: rule.name };
      const key = labelsKey(normalizeLabels(labels));
      if (keys.has(key)) throw new QueryError('execution', 'vector contains metrics with the same labelset after applying rule labels');
      keys.add(key);
      out.push([labels, s.v]);
    }
    writeSeries(r, out, ts);
  };

  const evalAlerting = (r: RuleRuntime, rule: AlertingRule, ts: number): void => {
    const fresh = new Map<string, AlertState>();
    for (const s of query(r, ts)) {
      const data = { labels: { ...s.labels }, externalLabels: opts.externalLabels ?? {}, value: s.v };
      const expand = (text: string) => expandTemplate(text, data);
      const labels: Record<string, string> = { ...s.labels };
      delete labels[METRIC_NAME];
      for (const [k, v] of Object.entries(rule.labels)) labels[k] = expand(v);
      labels.alertname = rule.name;
      const annotations: Record<string, string> = {};
      for (const [k, v] of Object.entries(rule.annotations)) annotations[k] = expand(v);
      const norm = normalizeLabels(labels);
      const key = labelsKey(norm);
      if (fresh.has(key)) throw new QueryError('execution', 'vector contains metrics with the same labelset after applying alert labels');
      fresh.set(key, { labels: norm, annotations: normalizeLabels(annotations), state: 'pending', activeAt: ts, value: s.v });
    }
    for (const [key, a] of fresh) {
      const known = r.active.get(key);
      if (known && known.state !== 'inactive') {
        known.value = a.value;
        known.annotations = a.annotations;
      } else {
        r.active.set(key, a);
      }
    }
    for (const [key, a] of r.active) {
      if (!fresh.has(key)) {
        let keepFiring = false;
        if (a.state === 'firing' && rule.keepFiringForMs > 0) {
          a.keepFiringSince ??= ts;
          keepFiring = ts - a.keepFiringSince < rule.keepFiringForMs;
        }
        if (a.state === 'pending' || (a.resolvedAt !== undefined && ts - a.resolvedAt > RESOLVED_RETENTION_MS)) r.active.delete(key);
        if (a.state !== 'inactive' && !keepFiring) {
          a.state = 'inactive';
          a.resolvedAt = ts;
        }
        if (!keepFiring) continue;
      } else {
        delete a.keepFiringSince;
      }
      if (a.state === 'pending' && ts - a.activeAt >= rule.forMs) a.state = 'firing';
    }
    const series: Array<[Record<string, string>, number]> = [];
    for (const a of r.active.values()) {
      if (a.state !== 'inactive') series.push([{ ...a.labels, [METRIC_NAME]: 'ALERTS', alertstate: a.state }, 1]);
    }
    writeSeries(r, series, ts);
  };

  const evalGroup = (rules: RuleRuntime[], ts: number): void => {
    for (const r of rules) {
      try {
        if (r.rule.kind === 'record') evalRecording(r, r.rule, ts);
        else evalAlerting(r, r.rule, ts);
        r.status.health = 'ok';
        delete r.status.lastError;
      } catch (err) {
        r.status.health = 'err';
        r.status.lastError = err instanceof Error ? err.message : String(err);
      }
      r.status.lastEvaluation = ts;
    }
  };

  const schedule = (g: (typeof runtimes)[number], nextDue: number): void => {
    if (stopped) return;
    const now = clock.now();
    let due = nextDue;
    while (due <= now) due += g.intervalMs;
    timers.set(
      g.group.name,
      clock.setTimeout(() => {
        if (stopped) return;
        evalGroup(g.rules, clock.now());
        schedule(g, due + g.intervalMs);
      }, due - now),
    );
  };

  const start = clock.now();
  for (const g of runtimes) schedule(g, start + g.intervalMs);

  return {
    alerts() {
      const out: ActiveAlert[] = [];
      for (const g of runtimes) {
        for (const r of g.rules) {
          for (const a of r.active.values()) {
            if (a.state === 'inactive') continue;
            out.push({
              labels: a.labels,
              annotations: a.annotations,
              state: a.state,
              activeAt: a.activeAt,
              value: a.value,
              ...(a.keepFiringSince !== undefined ? { keepFiringSince: a.keepFiringSince } : {}),
            });
          }
        }
      }
      return out;
    },
    evaluate(ts = clock.now()) {
      for (const g of runtimes) evalGroup(g.rules, ts);
    },
    rules: () => runtimes.flatMap((g) => g.rules.map((r) => ({ ...r.status }))),
    stop() {
      stopped = true;
      for (const t of timers.values()) clock.clearTimeout(t);
      timers.clear();
    },
  };
}
