/**
 * Where a rollout stands, as every store keeps it (a JSON file beside the
 * plan today, a PostgreSQL row later, the same fields): the current stage and
 * when it was entered, whether it was rolled back, the monitoring window
 * opened by that entry and its verdict once it completed, the baselines
 * captured for relative thresholds, and a stamp of the plan the window was
 * opened with (so an edit of the plan mid-window is seen).
 *
 * A state that cannot be read, fails this schema, names a stage the plan no
 * longer has, or belongs to another plan is never a fresh start: it is a
 * StateProblem, and every action is refused until an operator repairs it.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { Plan, GateSpec } from '../plan/schema.js';

export const STATE_VERSION = 2;

/** The monitoring window a stage entry (or a rollback) opened, and its verdict once it completed. */
const windowSchema = z
  .object({
    start: z.number(),
    end: z.number(),
    completed: z.object({ verdict: z.enum(['pass', 'fail']), at: z.number() }).strict().optional(),
  })
  .strict();

/** A first-value baseline of a relative threshold: captured once per stage entry, kept across restarts. */
const baselineSchema = z
  .object({
    value: z.number().refine(Number.isFinite, 'expected a finite number'),
    /** When the value was measured (the stage's entry, or the first evaluation after it). */
    at: z.number(),
    source: z.enum(['first value', 'history']),
  })
  .strict();

const gateStampSchema = z
  .object({
    fail: z.array(z.string()),
    warn: z.array(z.string()),
    for: z.number().optional(),
    forProbes: z.number().optional(),
    onFail: z.string(),
    mode: z.string().optional(),
  })
  .strict();

const planStampSchema = z
  .object({
    service: z.string(),
    environment: z.string(),
    digest: z.string(),
    /** The guarding fields of each gate, by gate key (`stage/gate`; plan-wide gates under the stage `*`). */
    gates: z.record(z.string(), gateStampSchema),
  })
  .strict();

const stateSchema = z
  .object({
    version: z.literal(STATE_VERSION),
    plan: planStampSchema,
    stageId: z.string().min(1),
    stageEnteredAt: z.number(),
    rolledBack: z.boolean(),
    window: windowSchema,
    /** By gate key; only the current stage's gates and plan-wide gates. */
    baselines: z.record(z.string(), baselineSchema),
    /** The plan version last seen by a process (its digest, who loaded it, when): a new one is audited once. */
    planSeen: z.object({ digest: z.string(), by: z.string(), at: z.number() }).strict().optional(),
    updatedAt: z.number(),
    by: z.string(),
    /** Why it was last set by hand (`flightdeck state set`). */
    reason: z.string().optional(),
  })
  .strict();

/** The first format (before windows, baselines and plan stamps): still read, upgraded on the next write. */
const legacySchema = z
  .object({ stageId: z.string().min(1), stageEnteredAt: z.number(), rolledBack: z.boolean(), updatedAt: z.number(), by: z.string() })
  .strict();

export type RolloutState = z.infer<typeof stateSchema>;
export type WindowRecord = z.infer<typeof windowSchema>;
export type BaselineRecord = z.infer<typeof baselineSchema>;
export type PlanStamp = z.infer<typeof planStampSchema>;
export type GateStamp = z.infer<typeof gateStampSchema>;
/** Where the rollout stands, as the engine knows it and the store keeps it. */
export type RolloutPosition = Pick<RolloutState, 'stageId' | 'stageEnteredAt' | 'rolledBack' | 'window' | 'baselines'>;

export type StateProblemKind = 'unreadable' | 'schema' | 'unknown stage' | 'other plan';

/** Why a saved state cannot be used, where it is, and what the operator does about it. */
export interface StateProblem {
  kind: StateProblemKind;
  /** The file (or the store's address) holding the state. */
  location: string;
  /** What is wrong, in one line. */
  problem: string;
  /** The commands that repair it. */
  fix: string;
}

export type StateRead =
  | { status: 'none'; location: string }
  | { status: 'ok'; location: string; state: RolloutState; legacy?: boolean }
  | { status: 'broken'; location: string; problem: StateProblem };

/** "rollout state FILE: PROBLEM. Every action is refused until it is repaired: FIX" */
export function describeProblem(p: StateProblem): string {
  return `rollout state ${p.location}: ${p.problem}. Promote and rollback are refused until it is repaired: ${p.fix}`;
}

export function fixFor(planFile: string, stageIds: string[]): string {
  return `see it with \`flightdeck state show ${planFile}\`, then set where the rollout really is with \`flightdeck state set ${planFile} --stage <${stageIds.join('|')}> --reason "…"\``;
}

/** The gate's key in a state: `stage/gate`, or `*` as the stage of a plan-wide gate. */
export function gateKey(stageId: string | null, gateId: string): string {
  return `${stageId ?? '*'}/${gateId}`;
}

/**
 * Parses a state's text and checks it against the plan. `planFile` is how the
 * operator named the plan (for the fix they are told).
 */
export function parseState(text: string, location: string, plan: Plan, planFile: string): StateRead {
  const fix = fixFor(planFile, plan.stages.map((s) => s.id));
  const broken = (kind: StateProblemKind, problem: string): StateRead => ({ status: 'broken', location, problem: { kind, location, problem, fix } });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    const what = text.trim() === '' ? 'the file is empty' : `not JSON (${(err as Error).message}); truncated or edited by hand?`;
    return broken('unreadable', what);
  }
  let state: RolloutState;
  let legacy = false;
  const parsed = stateSchema.safeParse(raw);
  if (parsed.success) state = parsed.data;
  else {
    const old = legacySchema.safeParse(raw);
    if (!old.success) {
      const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
      return broken('schema', `not a Flightdeck rollout state (${issues.join('; ')}${parsed.error.issues.length > 3 ? '; …' : ''})`);
    }
    legacy = true;
    const o = old.data;
    state = {
      version: STATE_VERSION,
      plan: { service: plan.service, environment: plan.environment, digest: '', gates: {} },
      stageId: o.stageId,
      stageEnteredAt: o.stageEnteredAt,
      rolledBack: o.rolledBack,
      window: { start: o.stageEnteredAt, end: o.stageEnteredAt + plan.polling.window },
      baselines: {},
      updatedAt: o.updatedAt,
      by: o.by,
    };
  }
  if (state.plan.service !== plan.service || state.plan.environment !== plan.environment) {
    return broken('other plan', `it belongs to ${state.plan.service} (${state.plan.environment}), not to this plan's ${plan.service} (${plan.environment})`);
  }
  if (!plan.stages.some((s) => s.id === state.stageId)) {
    return broken('unknown stage', `it names stage "${state.stageId}", which the plan no longer has (stages: ${plan.stages.map((s) => s.id).join(', ')})`);
  }
  return { status: 'ok', location, state, ...(legacy ? { legacy } : {}) };
}

/** The text written for a state. */
export function formatState(state: RolloutState): string {
  return `${JSON.stringify(stateSchema.parse(state), null, 2)}\n`;
}

// ---------------------------------------------------------------- plan stamps

function gateStamp(g: GateSpec): GateStamp {
  return {
    fail: (g.fail ?? []).map((t) => t.text),
    warn: (g.warn ?? []).map((t) => t.text),
    ...(g.for !== undefined ? { for: g.for } : {}),
    ...(g.forProbes !== undefined ? { forProbes: g.forProbes } : {}),
    onFail: g.onFail,
    ...(g.mode !== undefined ? { mode: g.mode } : {}),
  };
}

/**
 * What a window is judged by: each gate's thresholds, `for` and `onFail`, and a
 * digest of the stages and gates (not of where Prometheus and the nodes are:
 * `--prometheus-url` and `--nodes-file` change those without changing the plan).
 */
export function planStamp(plan: Plan): PlanStamp {
  const gates: Record<string, GateStamp> = {};
  for (const g of plan.gates) gates[gateKey(null, g.id)] = gateStamp(g);
  for (const s of plan.stages) for (const g of s.gates) gates[gateKey(s.id, g.id)] = gateStamp(g);
  const judged = { mode: plan.mode, polling: plan.polling, gates: plan.gates, stages: plan.stages.map((s) => ({ ...s })) };
  const digest = `sha256:${createHash('sha256').update(stableJson(judged)).digest('hex')}`;
  return { service: plan.service, environment: plan.environment, digest, gates };
}

/** A gate whose guarding fields differ between two stamps. */
export interface GateChange {
  key: string;
  /** "fail > 0.05 → > 0.08", "for 10m → 20m", "onFail rollback → alert", "added", "removed". */
  changes: string[];
}

/** The gates whose thresholds, `for` or `onFail` (or mode) changed from `before` to `now`. */
export function gateChanges(before: PlanStamp, now: PlanStamp): GateChange[] {
  const out: GateChange[] = [];
  const keys = [...new Set([...Object.keys(before.gates), ...Object.keys(now.gates)])];
  for (const key of keys) {
    const a = before.gates[key];
    const b = now.gates[key];
    if (!a) out.push({ key, changes: ['added'] });
    else if (!b) out.push({ key, changes: ['removed'] });
    else {
      const changes: string[] = [];
      const list = (v: string[]) => (v.length ? v.join(' or ') : 'none');
      if (list(a.fail) !== list(b.fail)) changes.push(`fail ${list(a.fail)} → ${list(b.fail)}`);
      if (list(a.warn) !== list(b.warn)) changes.push(`warn ${list(a.warn)} → ${list(b.warn)}`);
      if (a.for !== b.for) changes.push(`for ${ms(a.for)} → ${ms(b.for)}`);
      if (a.forProbes !== b.forProbes) changes.push(`forProbes ${a.forProbes ?? 'none'} → ${b.forProbes ?? 'none'}`);
      if (a.onFail !== b.onFail) changes.push(`onFail ${a.onFail} → ${b.onFail}`);
      if (a.mode !== b.mode) changes.push(`mode ${a.mode ?? 'plan'} → ${b.mode ?? 'plan'}`);
      if (changes.length) out.push({ key, changes });
    }
  }
  return out;
}

function ms(v: number | undefined): string {
  if (v === undefined) return 'none';
  return v % 60_000 === 0 ? `${v / 60_000}m` : v % 1000 === 0 ? `${v / 1000}s` : `${v}ms`;
}

/** JSON with object keys sorted, so equal plans digest equally. */
function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) => {
    if (val && typeof val === 'object' && !Array.isArray(val)) {
      return Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return val;
  });
}
