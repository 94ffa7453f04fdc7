/**
 * Cross-field rules the schema cannot see, run after it passes. Each problem
 * carries the path of the field to blame; the loader turns paths into
 * line:column through the YAML document.
 *
 * Relative thresholds ("> +10%"): a gate may give a `baseline` (a query on the
 * stable cohort, its own query at an offset before the window, a literal
 * value, or an evidence field). Without one the threshold is still valid: the
 * engine compares against the gate's first good value in the window (the
 * value when the window opened). Relative thresholds only make sense for
 * gates that read a number (query, healthField, evidence), and a `baseline`
 * without any relative threshold is a mistake, so both are refused here.
 */
import { gateKind, type GateSpec, type Plan } from './schema.js';
import type { PathSeg } from './secrets.js';

export interface CheckProblem {
  path: PathSeg[];
  /** Point at the key itself, or at its value (the default). */
  at?: 'key' | 'value';
  message: string;
}

interface GateRef {
  gate: GateSpec;
  path: PathSeg[];
  stageIndex: number | null;
}

const PROMETHEUS_KINDS = new Set(['query', 'alert', 'cardinality']);
const NODE_KINDS = new Set(['health', 'healthField']);
const NUMERIC_KINDS = new Set(['query', 'healthField', 'evidence']);
const WEBHOOK_KINDS = new Set(['slack', 'teams', 'discord', 'webhook']);

function allGates(plan: Plan): GateRef[] {
  const refs: GateRef[] = [];
  plan.stages.forEach((s, si) => s.gates.forEach((gate, gi) => refs.push({ gate, path: ['stages', si, 'gates', gi], stageIndex: si })));
  plan.gates.forEach((gate, gi) => refs.push({ gate, path: ['gates', gi], stageIndex: null }));
  return refs;
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

function describePath(path: PathSeg[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function checkIds(plan: Plan, gates: GateRef[]): CheckProblem[] {
  const out: CheckProblem[] = [];
  const stageIds = new Map<string, number>();
  plan.stages.forEach((s, i) => {
    const first = stageIds.get(s.id);
    if (first !== undefined) out.push({ path: ['stages', i, 'id'], message: `duplicate stage id "${s.id}" (also stages[${first}].id)` });
    else stageIds.set(s.id, i);
  });
  // Gates are evaluated together within a stage, with the plan-wide ones: ids must differ there.
  // The same id in two stages is the same check carried forward (a YAML anchor, say), and is fine.
  const seen = new Set<string>();
  const groups = plan.stages.length ? plan.stages.map((_, si) => gates.filter((g) => g.stageIndex === si || g.stageIndex === null)) : [gates];
  for (const group of groups) {
    const byId = new Map<string, GateRef[]>();
    for (const ref of group) byId.set(ref.gate.id, [...(byId.get(ref.gate.id) ?? []), ref]);
    for (const [id, refs] of byId) {
      if (refs.length < 2) continue;
      for (const ref of refs) {
        const key = `${describePath(ref.path)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const others = refs.filter((r) => r !== ref).map((r) => `${describePath(r.path)}.id`);
        out.push({ path: [...ref.path, 'id'], message: `duplicate gate id "${id}" (also ${others.join(', ')}); gate ids must differ within a stage and from the plan-wide gates` });
      }
    }
  }
  return out;
}

function checkSources(plan: Plan, gates: GateRef[]): CheckProblem[] {
  const out: CheckProblem[] = [];
  for (const { gate, path } of gates) {
    const kind = gateKind(gate);
    if (PROMETHEUS_KINDS.has(kind) && !plan.prometheus) {
      out.push({ path: [...path, kind], at: 'key', message: `${article(kind)} ${kind} gate needs Prometheus: add prometheus: { url: ... } to the plan` });
    }
    if (NODE_KINDS.has(kind) && plan.nodes.length === 0) {
      out.push({ path: [...path, kind], at: 'key', message: `${article(kind)} ${kind} gate needs at least one node: add nodes: [{ name, url }] to the plan` });
    }
  }
  return out;
}

function checkThresholds(gates: GateRef[]): CheckProblem[] {
  const out: CheckProblem[] = [];
  for (const { gate, path } of gates) {
    const kind = gateKind(gate);
    const relative = [...(gate.fail ?? []), ...(gate.warn ?? [])].some((t) => t.relative);
    if (relative && !NUMERIC_KINDS.has(kind)) {
      const field = gate.fail?.some((t) => t.relative) ? 'fail' : 'warn';
      out.push({ path: [...path, field], message: `a relative threshold needs a gate that reads a number (query, healthField or evidence), not ${article(kind)} ${kind} gate` });
    }
    const b = gate.baseline;
    if (!b) continue;
    const given = (['query', 'offset', 'value', 'field'] as const).filter((k) => b[k] !== undefined);
    if (given.length !== 1) {
      out.push({ path: [...path, 'baseline'], message: given.length === 0 ? 'expected one of query, offset, value or field' : `expected one of query, offset, value or field, got ${given.join(' and ')}` });
    } else if (given[0] === 'field' && kind !== 'evidence') {
      out.push({ path: [...path, 'baseline', 'field'], at: 'key', message: 'baseline.field reads a field of an evidence report; this is not an evidence gate' });
    } else if ((given[0] === 'query' || given[0] === 'offset') && kind !== 'query') {
      out.push({ path: [...path, 'baseline', given[0]], at: 'key', message: `baseline.${given[0]} needs a query gate` });
    }
    if (!relative) out.push({ path: [...path, 'baseline'], at: 'key', message: 'a baseline is given but no threshold is relative; write one such as "> +10%"' });
  }
  return out;
}

function checkActions(plan: Plan, gates: GateRef[]): CheckProblem[] {
  const out: CheckProblem[] = [];
  const ids = new Set(gates.map((g) => g.gate.id));
  for (const { gate, path, stageIndex } of gates) {
    if (gate.onFail !== 'rollback') continue;
    const stages = stageIndex === null ? plan.stages.map((s, i) => [s, i] as const) : [[plan.stages[stageIndex]!, stageIndex] as const];
    const missing = stages.filter(([s]) => !s.rollback).map(([s]) => s.id);
    if (missing.length > 0) {
      const names = missing.map((m) => `"${m}"`).join(', ');
      const where = stageIndex === null ? `every stage (this gate is plan-wide); ${missing.length === 1 ? `stage ${names} has` : `stages ${names} have`} none` : `its stage "${missing[0]}"`;
      out.push({ path: [...path, 'onFail'], message: `"rollback" needs a rollback action in ${where}` });
    }
  }
  plan.stages.forEach((s, si) => {
    for (const which of ['promote', 'rollback'] as const) {
      const action = s[which];
      if (!action || !('steps' in action)) continue;
      const seen = new Set<string>();
      action.steps.forEach((step, i) => {
        if (seen.has(step.name)) out.push({ path: ['stages', si, which, 'steps', i, 'name'], message: `another step of this ${which} is named "${step.name}" (step names are what --include names)` });
        seen.add(step.name);
        const ref = step.precondition?.gate;
        if (ref !== undefined && !ids.has(ref)) {
          out.push({ path: ['stages', si, which, 'steps', i, 'precondition', 'gate'], message: `no gate has id "${ref}"` });
        }
      });
    }
  });
  return out;
}

function checkPolling(plan: Plan): CheckProblem[] {
  const phases = plan.polling.phases;
  const out: CheckProblem[] = [];
  phases.forEach((p, i) => {
    if (i < phases.length - 1 && p.for === undefined) {
      out.push({ path: ['polling', 'phases', i], message: 'only the last phase may omit for: say how long this phase lasts, such as for: 5m' });
    }
  });
  return out;
}

function checkNotify(plan: Plan): CheckProblem[] {
  const out: CheckProblem[] = [];
  plan.notify.forEach((n, i) => {
    const path: PathSeg[] = ['notify', i];
    if (WEBHOOK_KINDS.has(n.kind)) {
      if (!n.urlEnv && !n.urlFile) out.push({ path, message: `a ${n.kind} notifier needs urlEnv or urlFile (the webhook URL is a secret)` });
      if (n.urlEnv && n.urlFile) out.push({ path: [...path, 'urlFile'], at: 'key', message: 'expected urlEnv or urlFile, not both' });
    }
    if (n.kind === 'file' && !n.path) out.push({ path, message: 'a file notifier needs path, such as monitor_logs/notification_fallback.jsonl' });
    if (n.kind === 'email') {
      if (!n.smtp) out.push({ path, message: 'an email notifier needs smtp: { host, port }' });
      if (!n.from) out.push({ path, message: 'an email notifier needs from' });
      if ((!n.to || n.to.length === 0) && !n.toEnv) out.push({ path, message: 'an email notifier needs to (a list of addresses) or toEnv' });
      if (n.smtp?.passwordEnv && n.smtp.passwordFile) out.push({ path: [...path, 'smtp', 'passwordFile'], at: 'key', message: 'expected passwordEnv or passwordFile, not both' });
    }
    const misplaced: Array<[keyof typeof n, boolean]> = [
      ['smtp', n.kind !== 'email'],
      ['from', n.kind !== 'email'],
      ['toEnv', n.kind !== 'email'],
      ['path', n.kind !== 'file'],
      ['urlEnv', !WEBHOOK_KINDS.has(n.kind)],
      ['urlFile', !WEBHOOK_KINDS.has(n.kind)],
    ];
    for (const [key, wrong] of misplaced) {
      if (wrong && n[key] !== undefined) out.push({ path: [...path, key], at: 'key', message: `${key} does not apply to a ${n.kind} notifier` });
    }
  });
  return out;
}

function checkPrometheus(plan: Plan): CheckProblem[] {
  const p = plan.prometheus;
  if (p?.tokenEnv && p.tokenFile) return [{ path: ['prometheus', 'tokenFile'], at: 'key', message: 'expected tokenEnv or tokenFile, not both' }];
  return [];
}

/** Every cross-field problem of a plan that passed the schema. */
export function checkPlan(plan: Plan): CheckProblem[] {
  const gates = allGates(plan);
  return [
    ...checkIds(plan, gates),
    ...checkPrometheus(plan),
    ...checkSources(plan, gates),
    ...checkThresholds(gates),
    ...checkActions(plan, gates),
    ...checkPolling(plan),
    ...checkNotify(plan),
  ];
}
