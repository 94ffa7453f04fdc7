/**
 * Plan validation beyond the schema: cross-field rules, and the PromQL of
 * every query (parsed with Prometheus's own grammar). The rules read the raw
 * plan (as parsed from YAML, before the schema), skipping any part of the
 * wrong shape, so that they are reported together with the schema's
 * problems in one pass instead of only once every schema error is fixed.
 * Each problem carries the path of the field to blame (and, for a query, the
 * index of the offending character inside it); the loader turns those into
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
import { GATE_KIND_MODULES, GATE_KINDS } from '../../checks/index.js';
import type { PlanProblem, RawGateRef } from '../gate-contract.js';
import { promqlProblems } from './promql.js';
import type { PathSeg } from './secrets.js';
import { parseThreshold } from './threshold.js';

export type CheckProblem = PlanProblem;

type Raw = Record<string, unknown>;
type GateRef = RawGateRef;

const MODULES = Object.values(GATE_KIND_MODULES);
/** "query, healthField or evidence": the kinds that read a number. */
const NUMERIC_NAMES = MODULES.filter((m) => m.readsNumber).map((m) => m.kind).join(', ').replace(/, ([^,]*)$/, ' or $1');
const WEBHOOK_KINDS = new Set(['slack', 'teams', 'discord', 'webhook']);
const KNOWN_NOTIFIERS = new Set([...WEBHOOK_KINDS, 'email', 'file']);

function obj(v: unknown): Raw | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : undefined;
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Absent, or written empty (`rollback:`). */
function missing(v: unknown): boolean {
  return v === undefined || v === null;
}

function stagesOf(plan: Raw): Array<{ stage: Raw; index: number }> {
  return list(plan.stages).flatMap((s, index) => (obj(s) ? [{ stage: obj(s)!, index }] : []));
}

function allGates(plan: Raw): GateRef[] {
  const refs: GateRef[] = [];
  const add = (g: unknown, path: PathSeg[], stageIndex: number | null) => {
    const gate = obj(g);
    if (!gate) return;
    const kinds = GATE_KINDS.filter((k) => gate[k] !== undefined);
    refs.push({ gate, kind: kinds.length === 1 ? kinds[0] : undefined, path, stageIndex });
  };
  for (const { stage, index } of stagesOf(plan)) list(stage.gates).forEach((g, gi) => add(g, ['stages', index, 'gates', gi], index));
  list(plan.gates).forEach((g, gi) => add(g, ['gates', gi], null));
  return refs;
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

function describePath(path: PathSeg[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function checkIds(plan: Raw, gates: GateRef[]): CheckProblem[] {
  const out: CheckProblem[] = [];
  const stageIds = new Map<string, number>();
  for (const { stage, index } of stagesOf(plan)) {
    const id = str(stage.id);
    if (id === undefined) continue;
    const first = stageIds.get(id);
    if (first !== undefined) out.push({ path: ['stages', index, 'id'], message: `duplicate stage id "${id}" (also stages[${first}].id)` });
    else stageIds.set(id, index);
  }
  // Gates are evaluated together within a stage, with the plan-wide ones: ids must differ there.
  // The same id in two stages is the same check carried forward (a YAML anchor, say), and is fine.
  const seen = new Set<string>();
  const stageIndexes = stagesOf(plan).map((s) => s.index);
  const groups = stageIndexes.length ? stageIndexes.map((si) => gates.filter((g) => g.stageIndex === si || g.stageIndex === null)) : [gates];
  for (const group of groups) {
    const byId = new Map<string, GateRef[]>();
    for (const ref of group) {
      const id = str(ref.gate.id);
      if (id !== undefined) byId.set(id, [...(byId.get(id) ?? []), ref]);
    }
    for (const [id, refs] of byId) {
      if (refs.length < 2) continue;
      for (const ref of refs) {
        const key = describePath(ref.path);
        if (seen.has(key)) continue;
        seen.add(key);
        const others = refs.filter((r) => r !== ref).map((r) => `${describePath(r.path)}.id`);
        out.push({ path: [...ref.path, 'id'], message: `duplicate gate id "${id}" (also ${others.join(', ')}); gate ids must differ within a stage and from the plan-wide gates` });
      }
    }
  }
  return out;
}

function checkSources(plan: Raw, gates: GateRef[]): CheckProblem[] {
  const out: CheckProblem[] = [];
  const nodes = list(plan.nodes).length;
  for (const { kind, path } of gates) {
    if (!kind) continue;
    const source = GATE_KIND_MODULES[kind].source;
    if (source === 'prometheus' && missing(plan.prometheus)) {
      out.push({ path: [...path, kind], at: 'key', message: `${article(kind)} ${kind} gate needs Prometheus: add prometheus: { url: ... } to the plan` });
    }
    if (source === 'nodes' && nodes === 0) {
      out.push({ path: [...path, kind], at: 'key', message: `${article(kind)} ${kind} gate needs at least one node: add nodes: [{ name, url }] to the plan` });
    }
  }
  return out;
}

/** Whether a threshold as written (a string, a number, or a list of them) has a relative one. */
function hasRelative(v: unknown): boolean {
  return (Array.isArray(v) ? v : [v]).some((t) => typeof t === 'string' && parseThreshold(t)?.relative === true);
}

function checkThresholds(gates: GateRef[]): CheckProblem[] {
  const out: CheckProblem[] = [];
  for (const { gate, kind, path } of gates) {
    const relative = hasRelative(gate.fail) || hasRelative(gate.warn);
    if (relative && kind && !GATE_KIND_MODULES[kind].readsNumber) {
      const field = hasRelative(gate.fail) ? 'fail' : 'warn';
      out.push({ path: [...path, field], message: `a relative threshold needs a gate that reads a number (${NUMERIC_NAMES}), not ${article(kind)} ${kind} gate` });
    }
    const b = obj(gate.baseline);
    if (!b) continue;
    const given = (['query', 'offset', 'value', 'field'] as const).filter((k) => b[k] !== undefined);
    if (given.length !== 1) {
      out.push({ path: [...path, 'baseline'], message: given.length === 0 ? 'expected one of query, offset, value or field' : `expected one of query, offset, value or field, got ${given.join(' and ')}` });
    } else if (kind) {
      // A baseline form one kind owns (evidence's field, query's query and offset) is refused on the others.
      const owner = MODULES.find((m) => m.baselines?.[given[0]!] !== undefined);
      if (owner && owner.kind !== kind) out.push({ path: [...path, 'baseline', given[0]!], at: 'key', message: owner.baselines![given[0]!]! });
    }
    if (!relative) out.push({ path: [...path, 'baseline'], at: 'key', message: 'a baseline is given but no threshold is relative; write one such as "> +10%"' });
  }
  return out;
}

/** Each kind's own rules (a query's PromQL, compare's cohorts, cardinality's names, score's gates); every baseline query parsed. */
function checkKinds(gates: GateRef[]): CheckProblem[] {
  const out: CheckProblem[] = [];
  for (const ref of gates) {
    // Every kind field the gate has (two kinds is the schema's problem; each part is still checked).
    for (const k of GATE_KINDS) if (ref.gate[k] !== undefined) out.push(...(GATE_KIND_MODULES[k].validate?.(ref, gates) ?? []));
    const q = obj(ref.gate.baseline)?.query;
    if (typeof q === 'string' && q !== '') for (const p of promqlProblems(q)) out.push({ path: [...ref.path, 'baseline', 'query'], index: p.offset, message: p.message });
  }
  return out;
}

function checkActions(plan: Raw, gates: GateRef[]): CheckProblem[] {
  const out: CheckProblem[] = [];
  const ids = new Set(gates.map((g) => str(g.gate.id)).filter((id) => id !== undefined));
  const stages = stagesOf(plan);
  for (const { gate, path, stageIndex } of gates) {
    if (gate.onFail !== 'rollback') continue;
    const scope = stageIndex === null ? stages : stages.filter((s) => s.index === stageIndex);
    const lacking = scope.filter(({ stage }) => missing(stage.rollback)).map(({ stage, index }) => str(stage.id) ?? `stages[${index}]`);
    if (lacking.length > 0) {
      const names = lacking.map((m) => `"${m}"`).join(', ');
      const where = stageIndex === null ? `every stage (this gate is plan-wide); ${lacking.length === 1 ? `stage ${names} has` : `stages ${names} have`} none` : `its stage ${names}`;
      out.push({ path: [...path, 'onFail'], message: `"rollback" needs a rollback action in ${where}` });
    }
  }
  for (const { stage, index } of stages) {
    for (const which of ['promote', 'rollback'] as const) {
      const seen = new Set<string>();
      list(obj(stage[which])?.steps).forEach((step, i) => {
        const name = obj(step)?.name;
        if (typeof name === 'string') {
          if (seen.has(name)) out.push({ path: ['stages', index, which, 'steps', i, 'name'], message: `another step of this ${which} is named "${name}" (step names are what --include names)` });
          seen.add(name);
        }
        const ref = obj(obj(step)?.precondition)?.gate;
        if (typeof ref === 'string' && !ids.has(ref)) {
          out.push({ path: ['stages', index, which, 'steps', i, 'precondition', 'gate'], message: `no gate has id "${ref}"` });
        }
      });
    }
  }
  return out;
}

function checkPolling(plan: Raw): CheckProblem[] {
  const phases = list(obj(plan.polling)?.phases);
  const out: CheckProblem[] = [];
  phases.forEach((p, i) => {
    if (i < phases.length - 1 && obj(p) && obj(p)!.for === undefined) {
      out.push({ path: ['polling', 'phases', i], message: 'only the last phase may omit for: say how long this phase lasts, such as for: 5m' });
    }
  });
  return out;
}

function checkNotify(plan: Raw): CheckProblem[] {
  const out: CheckProblem[] = [];
  list(plan.notify).forEach((raw, i) => {
    const n = obj(raw);
    const kind = str(n?.kind);
    if (!n || !kind || !KNOWN_NOTIFIERS.has(kind)) return;
    const path: PathSeg[] = ['notify', i];
    if (WEBHOOK_KINDS.has(kind)) {
      // A literal URL (url:, webhookUrl:) is refused as a secret already, with the same advice.
      const literal = Object.keys(n).some((k) => /url$/i.test(k) && k !== 'urlEnv' && k !== 'urlFile');
      if (!n.urlEnv && !n.urlFile && !literal) out.push({ path, message: `a ${kind} notifier needs urlEnv or urlFile (the webhook URL is a secret)` });
      if (n.urlEnv && n.urlFile) out.push({ path: [...path, 'urlFile'], at: 'key', message: 'expected urlEnv or urlFile, not both' });
    }
    if (kind === 'file' && !n.path) out.push({ path, message: 'a file notifier needs path, such as monitor_logs/notification_fallback.jsonl' });
    if (kind === 'email') {
      const smtp = obj(n.smtp);
      if (missing(n.smtp)) out.push({ path, message: 'an email notifier needs smtp: { host, port }' });
      if (!n.from) out.push({ path, message: 'an email notifier needs from' });
      if (list(n.to).length === 0 && !n.toEnv) out.push({ path, message: 'an email notifier needs to (a list of addresses) or toEnv' });
      if (smtp?.passwordEnv && smtp.passwordFile) out.push({ path: [...path, 'smtp', 'passwordFile'], at: 'key', message: 'expected passwordEnv or passwordFile, not both' });
    }
    const misplaced: Array<[string, boolean]> = [
      ['smtp', kind !== 'email'],
      ['from', kind !== 'email'],
      ['toEnv', kind !== 'email'],
      ['path', kind !== 'file'],
      ['urlEnv', !WEBHOOK_KINDS.has(kind)],
      ['urlFile', !WEBHOOK_KINDS.has(kind)],
    ];
    for (const [key, wrong] of misplaced) {
      if (wrong && n[key] !== undefined) out.push({ path: [...path, key], at: 'key', message: `${key} does not apply to a ${kind} notifier` });
    }
  });
  return out;
}

function checkPrometheus(plan: Raw): CheckProblem[] {
  const p = obj(plan.prometheus);
  if (p?.tokenEnv && p.tokenFile) return [{ path: ['prometheus', 'tokenFile'], at: 'key', message: 'expected tokenEnv or tokenFile, not both' }];
  return [];
}

/** Every cross-field and query problem of a plan as parsed from YAML (valid against the schema or not). */
export function validatePlan(input: unknown): CheckProblem[] {
  const plan = obj(input);
  if (!plan) return [];
  const gates = allGates(plan);
  return [
    ...checkIds(plan, gates),
    ...checkPrometheus(plan),
    ...checkSources(plan, gates),
    ...checkKinds(gates),
    ...checkThresholds(gates),
    ...checkActions(plan, gates),
    ...checkPolling(plan),
    ...checkNotify(plan),
  ];
}
