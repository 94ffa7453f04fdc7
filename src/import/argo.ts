/**
 * `flightdeck import argo ANALYSISTEMPLATE.yaml`: an Argo Rollouts
 * AnalysisTemplate or ClusterAnalysisTemplate (one or several YAML documents)
 * becomes a plan with one stage whose gates are its Prometheus metrics.
 *
 * How Argo's fields map (https://argoproj.github.io/argo-rollouts/features/analysis/):
 * - failureCondition → fail; successCondition → its negation is fail when
 *   there is no failureCondition, else the warn band (Argo's "inconclusive",
 *   which pauses the rollout for a human, as the warn band does).
 * - failureLimit N → forProbes N+1 (Argo fails after more than N failed
 *   measurements; Flightdeck counts consecutive ones, so a good sample in
 *   between resets it — noted on the gate).
 * - interval → the plan's polling; count × interval → the stage's bake.
 * - args: {{args.NAME}} is replaced by the value given on the command line
 *   or the template's default; secret args are never written into the plan.
 * - the metrics named in spec.dryRun → mode: warn.
 * Everything else is a NOTE on the field it concerns.
 */
import { parseAllDocuments } from 'yaml';
import { badWhen, parseCondition, type Comparison } from './argo-condition.js';
import { ImportError, secondsToDuration, slugId, sourceDuration, uniqueId, type ImportNote, type ImportResult } from './render.js';

export interface ArgoImportOptions {
  sourceName: string;
  /** --arg NAME=VALUE */
  args?: Record<string, string>;
  service?: string;
  /** The Rollout to abort on a failing gate (default: the template's name). */
  rollout?: string;
  prometheusUrl?: string;
}

const METRIC_KEYS = new Set(['name', 'interval', 'count', 'initialDelay', 'successCondition', 'failureCondition', 'failureLimit', 'consecutiveErrorLimit', 'inconclusiveLimit', 'provider', 'consecutiveSuccessLimit']);
const PROM_KEYS = new Set(['address', 'query', 'timeout', 'headers', 'insecure', 'authentication', 'rangeQuery', 'caCert']);

interface Template {
  kind: string;
  name: string;
  spec: Record<string, unknown>;
}

export function importArgo(text: string, o: ArgoImportOptions): ImportResult {
  const docs = parseAllDocuments(text);
  const templates: Template[] = [];
  const notes: ImportNote[] = [];
  const skipped: ImportResult['skipped'] = [];
  for (const d of Array.isArray(docs) ? docs : [docs]) {
    if (d.errors.length) throw new ImportError(`${o.sourceName}: not YAML: ${d.errors[0]!.message}`);
    const obj = d.toJS() as Record<string, unknown> | null;
    if (!obj) continue;
    const kind = String(obj.kind ?? '');
    const name = String((obj.metadata as Record<string, unknown> | undefined)?.name ?? 'analysis');
    if (kind !== 'AnalysisTemplate' && kind !== 'ClusterAnalysisTemplate') {
      skipped.push({ what: `${kind || 'a document without kind'} ${name}`, why: 'not an AnalysisTemplate or ClusterAnalysisTemplate' });
      continue;
    }
    templates.push({ kind, name, spec: (obj.spec ?? {}) as Record<string, unknown> });
  }
  if (templates.length === 0) throw new ImportError(`${o.sourceName}: no AnalysisTemplate or ClusterAnalysisTemplate in it`);

  const gates: Array<Record<string, unknown>> = [];
  const taken = new Set<string>();
  const intervals: number[] = [];
  const spans: number[] = [];
  let address: string | undefined;
  let timeoutSec: number | undefined;
  const gatePath = (i: number) => ['stages', 0, 'gates', i];

  for (const t of templates) {
    const { values: args, secret } = resolveArgs(t, o.args ?? {}, notes);
    const dryRun = new Set(
      (Array.isArray(t.spec.dryRun) ? t.spec.dryRun : []).map((d) => String((d as Record<string, unknown>).metricName)),
    );
    for (const key of Object.keys(t.spec)) {
      if (!['args', 'metrics', 'dryRun', 'measurementRetention'].includes(key)) notes.push({ path: [], text: `${t.name}: spec.${key} not mapped` });
    }
    if (t.spec.measurementRetention !== undefined) notes.push({ path: [], text: `${t.name}: measurementRetention not mapped: recordings (--record) keep every evaluation` });
    const metrics = Array.isArray(t.spec.metrics) ? (t.spec.metrics as Array<Record<string, unknown>>) : [];
    for (const m of metrics) {
      const name = String(m.name ?? 'metric');
      const source = `${t.kind} ${t.name}, metric ${name}`;
      const provider = (m.provider ?? {}) as Record<string, unknown>;
      const prom = provider.prometheus as Record<string, unknown> | undefined;
      if (!prom) {
        skipped.push({ what: source, why: `provider ${Object.keys(provider).join(', ') || '(none)'} is not Prometheus; only Prometheus metrics become gates` });
        continue;
      }
      if (typeof prom.query !== 'string' || prom.query.trim() === '') {
        skipped.push({ what: source, why: 'its Prometheus provider has no query' });
        continue;
      }
      const why: string[] = [`from ${source}`];
      const { text: query, unresolved } = substituteArgs(prom.query.trim(), args, secret);
      if (unresolved.length) why.push(`args without a value, left as written: ${unresolved.join(', ')} (pass --arg NAME=VALUE)`);

      const id = taken.has(slugId(name)) ? slugId(`${t.name}-${name}`) : slugId(name);
      const gate: Record<string, unknown> = { id: uniqueId(id, taken), title: name, query };
      const fc = typeof m.failureCondition === 'string' ? m.failureCondition : undefined;
      const sc = typeof m.successCondition === 'string' ? m.successCondition : undefined;
      const failBad = fc ? conditionBad(fc, 'failure') : undefined;
      const succBad = sc ? conditionBad(sc, 'success') : undefined;
      if (fc && !failBad) why.push(`failureCondition "${fc}" not read: only result/result[0]/all()/any() compared with a number, joined by || or &&`);
      if (sc && !succBad) why.push(`successCondition "${sc}" not read: only result/result[0]/all()/any() compared with a number, joined by || or &&`);
      let failFrom: Comparison[] | undefined;
      if (failBad) {
        failFrom = failBad;
        gate.fail = thresholds(failBad);
        why.push(`fail from failureCondition "${fc}"`);
        if (succBad) {
          gate.warn = thresholds(succBad);
          why.push(`warn from successCondition "${sc}" negated: Argo's inconclusive (neither condition) pauses for a human, as the warn band does`);
        }
      } else if (succBad) {
        failFrom = succBad;
        gate.fail = thresholds(succBad);
        why.push(`fail is successCondition "${sc}" negated`);
      }
      if (!failFrom) {
        skipped.push({ what: source, why: sc || fc ? `neither condition could be read (${[sc, fc].filter(Boolean).join('; ')})` : 'it has no successCondition or failureCondition (Argo would be inconclusive every time)', source: query });
        continue;
      }
      const reduce = reducerOf(failFrom);
      if (reduce) gate.reduce = reduce;
      else why.push('the conditions need different reducers across series; the gate takes the max of them');
      if (failFrom.some((c) => c.quantifier === 'first')) why.push(`result[0] (one series) → reduce: ${reduce ?? 'max'} over every series the query returns`);

      const limit = typeof m.failureLimit === 'number' ? m.failureLimit : m.failureLimit === undefined ? 0 : Number.NaN;
      if (!Number.isFinite(limit)) why.push(`failureLimit ${String(m.failureLimit)} not read (a template placeholder?): the gate fails on the first breach`);
      else if (limit > 0) {
        gate.forProbes = limit + 1;
        why.push(`failureLimit ${limit} → forProbes ${limit + 1}: Argo counts failed measurements in total, Flightdeck consecutive ones (a good one in between resets it)`);
      } else if (limit < 0) why.push(`failureLimit ${limit} (never fail) → mode: warn`);
      const interval = sourceDuration(m.interval);
      if (m.interval !== undefined && interval === undefined) why.push(`interval ${String(m.interval)} not read`);
      if (interval) intervals.push(interval);
      const count = typeof m.count === 'number' ? m.count : undefined;
      if (m.count !== undefined && count === undefined) why.push(`count ${String(m.count)} not read (a template placeholder?)`);
      const delay = sourceDuration(m.initialDelay) ?? 0;
      if (count !== undefined) {
        spans.push(delay + count * (interval ?? 0));
        why.push(`count ${count}${interval ? ` × interval ${String(m.interval)}${delay ? ` + initialDelay ${String(m.initialDelay)}` : ''} → the stage's bake` : ' without interval: one measurement; the stage has no bake from it'}`);
      }
      if (m.initialDelay !== undefined) why.push(`initialDelay ${String(m.initialDelay)} not mapped as a delay: gates are evaluated from the stage's start${count !== undefined ? ' (it is added to the bake)' : ''}`);
      why.push(`consecutiveErrorLimit ${m.consecutiveErrorLimit ?? '4 (default)'} not mapped: a query error blocks promotion at once and never rolls back`);
      if (m.inconclusiveLimit !== undefined) why.push(`inconclusiveLimit ${String(m.inconclusiveLimit)} not mapped: the warn band is shown and promotion goes on with a caution`);
      if (m.consecutiveSuccessLimit !== undefined) why.push(`consecutiveSuccessLimit ${String(m.consecutiveSuccessLimit)} not mapped: the stage's bake decides when it may go on`);
      for (const key of Object.keys(m)) if (!METRIC_KEYS.has(key)) why.push(`${key} not mapped`);

      gate.onFail = 'rollback';
      if (dryRun.has(name) || dryRun.has('.*') || (Number.isFinite(limit) && limit < 0)) {
        gate.mode = 'warn';
        if (dryRun.size) why.push('listed in spec.dryRun → mode: warn (evaluated and shown, never acts)');
      }
      const addr = typeof prom.address === 'string' ? substituteArgs(prom.address, args, secret).text : undefined;
      if (addr) {
        if (address && addr !== address) why.push(`address ${addr} differs from the plan's ${address}: a plan has one Prometheus`);
        address ??= addr;
      }
      if (prom.timeout !== undefined) {
        const s = Number(prom.timeout);
        if (Number.isFinite(s) && s > 0) timeoutSec = Math.max(timeoutSec ?? 0, s);
      }
      if (Array.isArray(prom.headers) && prom.headers.length) {
        why.push(`headers ${prom.headers.map((h) => String((h as Record<string, unknown>).key)).join(', ')} not mapped: header values may be secrets; add them as prometheus.headers: { NAME: { env: VAR } }`);
      }
      if (prom.authentication !== undefined) why.push(`authentication (${Object.keys(prom.authentication as object).join(', ')}) not mapped: give prometheus.tokenEnv or tokenFile`);
      if (prom.insecure) why.push('insecure: true not mapped: Flightdeck verifies TLS');
      if (prom.caCert !== undefined) why.push('caCert not mapped: use NODE_EXTRA_CA_CERTS');
      if (prom.rangeQuery !== undefined) why.push('rangeQuery not mapped: the gate runs the query as an instant query; write for: to hold a breach over time');
      for (const key of Object.keys(prom)) if (!PROM_KEYS.has(key)) why.push(`provider.prometheus.${key} not mapped`);
      notes.push({ path: gatePath(gates.length), text: why.join('\n  ') });
      gates.push(gate);
    }
  }
  if (gates.length === 0) throw new ImportError(`${o.sourceName}: no Prometheus metric could be imported:\n${skipped.map((s) => `  ${s.what}: ${s.why}`).join('\n')}`);

  const rollout = o.rollout ?? templates[0]!.name;
  const stage: Record<string, unknown> = { id: 'analysis', title: `Argo analysis ${templates.map((t) => t.name).join(', ')}` };
  const bake = Math.max(0, ...spans);
  if (bake > 0) stage.bake = secondsToDuration(Math.round(bake / 1000));
  stage.gates = gates;
  stage.rollback = { run: ['kubectl', 'argo', 'rollouts', 'abort', rollout] };
  const plan: Record<string, unknown> = {
    service: o.service ?? rollout,
    prometheus: { url: o.prometheusUrl ?? address ?? 'http://127.0.0.1:9090', ...(timeoutSec ? { timeout: `${timeoutSec}s` } : {}) },
  };
  if (intervals.length) {
    const every = Math.min(...intervals);
    plan.polling = { window: secondsToDuration(Math.max(3600, Math.round(bake / 1000))), phases: [{ every: secondsToDuration(Math.round(every / 1000)) }] };
    if (new Set(intervals).size > 1) notes.push({ path: ['polling'], text: `the metrics' intervals differ (${[...new Set(intervals)].map((i) => secondsToDuration(i / 1000)).join(', ')}); Flightdeck polls every gate at the shortest` });
  }
  plan.stages = [stage];
  notes.push({ path: ['stages', 0, 'rollback'], text: `Argo aborts the Rollout when an analysis fails; this does the same for Rollout ${rollout}${o.rollout ? '' : ' (the template\'s name; pass --rollout NAME)'}` });
  if (!o.prometheusUrl && !address) notes.push({ path: ['prometheus', 'url'], text: 'no address in the template: pass --prometheus-url URL' });
  return {
    plan,
    header: [`Imported by flightdeck import argo from ${o.sourceName} (${templates.map((t) => `${t.kind} ${t.name}`).join(', ')}).`, 'Review every NOTE before using this plan.'],
    notes,
    skipped,
  };
}

function resolveArgs(t: Template, given: Record<string, string>, notes: ImportNote[]): { values: Map<string, string>; secret: Set<string> } {
  const values = new Map<string, string>();
  const secret = new Set<string>();
  for (const a of Array.isArray(t.spec.args) ? (t.spec.args as Array<Record<string, unknown>>) : []) {
    const name = String(a.name);
    const from = a.valueFrom as Record<string, unknown> | undefined;
    if (from?.secretKeyRef) {
      secret.add(name);
      notes.push({ path: [], text: `${t.name}: arg ${name} comes from a Kubernetes secret; its placeholder stays in the plan (a secret is never written into a plan)` });
      continue;
    }
    if (given[name] !== undefined) values.set(name, given[name]!);
    else if (a.value !== undefined) values.set(name, String(a.value));
    else if (from) notes.push({ path: [], text: `${t.name}: arg ${name} is taken from ${Object.keys(from).join(', ')} at run time in Argo; pass --arg ${name}=VALUE` });
  }
  for (const name of Object.keys(given)) if (!values.has(name) && !secret.has(name)) values.set(name, given[name]!);
  return { values, secret };
}

function substituteArgs(text: string, args: Map<string, string>, secret: Set<string>): { text: string; unresolved: string[] } {
  const unresolved = new Set<string>();
  const out = text.replace(/\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}/g, (whole, name: string) => {
    const v = secret.has(name) ? undefined : args.get(name);
    if (v === undefined) {
      unresolved.add(name);
      return whole;
    }
    return v;
  });
  return { text: out, unresolved: [...unresolved] };
}

function conditionBad(text: string, kind: 'success' | 'failure'): Comparison[] | undefined {
  const parsed = parseCondition(text);
  return parsed ? badWhen(parsed, kind) : undefined;
}

function thresholds(cs: Comparison[]): string | string[] {
  const list = cs.map((c) => `${c.op} ${c.value}`);
  return list.length === 1 ? list[0]! : list;
}

/** The reducer under which "the gate breaches" means what the condition means across series. */
function reducerOf(cs: Comparison[]): 'max' | 'min' | undefined {
  const each = cs.map((c) => {
    const up = c.op === '>' || c.op === '>=';
    const down = c.op === '<' || c.op === '<=';
    if (!up && !down) return undefined;
    // bad when any/one series breaches: the extreme in the bad direction; bad when all do: the other extreme
    if (c.quantifier === 'all') return up ? 'min' : 'max';
    return up ? 'max' : 'min';
  });
  const first = each[0];
  return first && each.every((r) => r === first) ? first : undefined;
}
