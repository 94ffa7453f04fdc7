/**
 * `flightdeck import prometheus-rules RULES.yml`: every alerting rule becomes
 * a `query` gate with the rule's `for:`; recording rules are listed (a gate
 * may query the series they record). A rule whose expression ends in a
 * comparison with a number is split into query and threshold; any other
 * expression is counted ("count(expr) or vector(0)" > 0), which is what the
 * rule itself does: each series it returns is an alert.
 */
import { parseDocument } from 'yaml';
import { ImportError, secondsToDuration, slugId, sourceDuration, uniqueId, type ImportNote, type ImportResult } from './render.js';
import { reducerFor, splitComparison } from './promql-split.js';

export interface RulesImportOptions {
  /** Shown in the header. */
  sourceName: string;
  service?: string;
  prometheusUrl?: string;
}

const RULE_KEYS = new Set(['alert', 'record', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations']);
const GROUP_KEYS = new Set(['name', 'rules', 'interval', 'limit', 'query_offset', 'labels']);

export function importPrometheusRules(text: string, o: RulesImportOptions): ImportResult {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new ImportError(`${o.sourceName}: not YAML: ${doc.errors[0]!.message}`);
  const root = doc.toJS() as unknown;
  const notes: ImportNote[] = [];
  // A runbook often prints only the list of groups (seed 003 does): read it as the file's groups.
  const bare = Array.isArray(root);
  const groups = bare ? root : (root as { groups?: unknown })?.groups;
  if (bare) notes.push({ path: [], text: 'the file is a bare list of groups (no top-level groups: key); read as the groups' });
  if (!Array.isArray(groups)) throw new ImportError(`${o.sourceName}: expected a Prometheus rule file with groups: [{ name, rules: [...] }]`);

  const skipped: ImportResult['skipped'] = [];
  const gates: Array<Record<string, unknown>> = [];
  const taken = new Set<string>();
  const recording: string[] = [];
  const gatePath = (i: number, field?: string) => (field ? ['stages', 0, 'gates', i, field] : ['stages', 0, 'gates', i]);

  for (const [gi, group] of groups.entries()) {
    const g = group as Record<string, unknown>;
    const gname = typeof g.name === 'string' ? g.name : `groups[${gi}]`;
    for (const key of Object.keys(g ?? {})) {
      if (!GROUP_KEYS.has(key)) notes.push({ path: [], text: `group ${gname}: unknown key "${key}" ignored` });
    }
    if (g.interval !== undefined) notes.push({ path: [], text: `group ${gname}: interval ${String(g.interval)} not mapped: Flightdeck polls on the plan's polling phases, not per group` });
    if (g.limit !== undefined) notes.push({ path: [], text: `group ${gname}: limit ${String(g.limit)} not mapped: a gate has no series limit` });
    if (g.query_offset !== undefined) notes.push({ path: [], text: `group ${gname}: query_offset ${String(g.query_offset)} not mapped: gates query the present` });
    if (g.labels !== undefined) notes.push({ path: [], text: `group ${gname}: labels ${JSON.stringify(g.labels)} not mapped: gates carry no labels` });
    const rules = Array.isArray(g.rules) ? g.rules : [];
    if (!Array.isArray(g.rules)) skipped.push({ what: `group ${gname}`, why: 'it has no rules list' });
    for (const rule of rules) {
      const r = (rule ?? {}) as Record<string, unknown>;
      const expr = typeof r.expr === 'string' ? r.expr.trim() : typeof r.expr === 'number' ? String(r.expr) : undefined;
      if (typeof r.record === 'string') {
        recording.push(`${r.record} = ${expr ?? '(no expr)'} (group ${gname})`);
        continue;
      }
      if (typeof r.alert !== 'string' || !expr) {
        skipped.push({ what: `a rule in group ${gname}`, why: 'neither an alerting rule (alert + expr) nor a recording rule (record + expr)', source: JSON.stringify(r) });
        continue;
      }
      const i = gates.length;
      const gate: Record<string, unknown> = { id: uniqueId(slugId(r.alert), taken), title: r.alert };
      const why: string[] = [`from alerting rule ${r.alert} (group ${gname}): ${expr.replace(/\s+/g, ' ')}`];
      const split = splitComparison(expr);
      const reducer = split ? reducerFor(split.op) : undefined;
      if (split && reducer) {
        gate.query = split.query;
        gate.reduce = reducer;
        gate.fail = `${split.op} ${split.value}`;
        why.push(`split at its comparison; reduce: ${reducer} so that any one series breaching breaches the gate, as any one series fires the alert`);
      } else {
        gate.query = `count(${expr}) or vector(0)`;
        gate.unit = 'count';
        gate.fail = '> 0';
        why.push('the gate counts the series the expression returns (each one would be a firing alert)');
      }
      if (r.for !== undefined) {
        const forMs = sourceDuration(r.for);
        if (forMs !== undefined) {
          if (forMs > 0) gate.for = secondsToDuration(forMs / 1000);
        } else {
          notes.push({ path: gatePath(i), text: `for: ${String(r.for)} is not a duration Flightdeck reads; the gate fails at once` });
        }
      }
      const labels = (r.labels ?? {}) as Record<string, unknown>;
      const severity = typeof labels.severity === 'string' ? labels.severity : undefined;
      gate.onFail = severity === 'critical' || severity === 'page' ? 'block' : 'alert';
      why.push(
        severity
          ? `severity ${severity} → onFail: ${gate.onFail}${gate.onFail === 'block' ? ' (to roll back on it, give the stage a rollback action and write onFail: rollback)' : ''}`
          : 'no severity label → onFail: alert',
      );
      const otherLabels = Object.keys(labels).filter((k) => k !== 'severity');
      if (otherLabels.length) why.push(`labels ${otherLabels.map((k) => `${k}=${String(labels[k])}`).join(', ')} not mapped: gates carry no labels`);
      const ann = (r.annotations ?? {}) as Record<string, unknown>;
      const text = ann.summary ?? ann.description ?? ann.message;
      if (typeof text === 'string') {
        gate.description = text;
        if (/\{\{/.test(text)) why.push('the annotation\'s {{ }} templating is kept as text: Flightdeck shows the value itself');
      }
      const otherAnn = Object.keys(ann).filter((k) => ann[k] !== text);
      if (otherAnn.length) why.push(`annotations ${otherAnn.join(', ')} not mapped`);
      if (r.keep_firing_for !== undefined) why.push(`keep_firing_for: ${String(r.keep_firing_for)} not mapped: a gate leaves failing on the first good evaluation`);
      for (const key of Object.keys(r)) if (!RULE_KEYS.has(key)) why.push(`unknown key "${key}" ignored`);
      notes.push({ path: gatePath(i), text: why.join('\n  ') });
      gates.push(gate);
    }
  }
  if (recording.length) {
    notes.push({ path: [], text: `recording rules, not gates (a gate may query the series they record once Prometheus records them):\n${recording.map((r) => `  ${r}`).join('\n')}` });
  }
  if (gates.length === 0) throw new ImportError(`${o.sourceName}: no alerting rule to import${recording.length ? ` (only ${recording.length} recording rule(s))` : ''}`);
  const plan = {
    service: o.service ?? 'service',
    prometheus: { url: o.prometheusUrl ?? 'http://127.0.0.1:9090' },
    stages: [{ id: 'alerts', title: 'Alerting rules', gates }],
  };
  if (!o.service) notes.push({ path: ['service'], text: 'a rule file names no service: pass --service NAME' });
  if (!o.prometheusUrl) notes.push({ path: ['prometheus', 'url'], text: 'a rule file names no Prometheus: pass --prometheus-url URL' });
  return {
    plan,
    header: [`Imported by flightdeck import prometheus-rules from ${o.sourceName}.`, 'Review every NOTE before using this plan.'],
    notes,
    skipped,
  };
}
