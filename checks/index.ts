/**
 * The registry of gate kinds: one module per kind (checks/<kind>.ts), each
 * behind the one interface of src/gate-contract.ts. The engine, the gate state
 * machine and the reports look a gate's kind up here.
 */
import type { GateSpec } from '../src/plan/schema.js';
import { alertFields, alertKind } from './alert.js';
import { cardinalityFields, cardinalityKind } from './cardinality.js';
import { commandFields, commandKind } from './command.js';
import { compareFields, compareKind } from './compare.js';
import { evidenceFields, evidenceKind } from './evidence.js';
import { healthFieldFields, healthFieldKind } from './health-field.js';
import { healthFields, healthKind } from './health.js';
import { manualFields, manualKind } from './manual.js';
import { queryFields, queryKind } from './query.js';
import { scoreFields, scoreKind } from './score.js';
import type { GateKindModule } from './types.js';

/** The kinds, in the order the plan's messages list them ("expected one check: query, health, …"). */
export const GATE_KINDS = ['query', 'health', 'healthField', 'alert', 'command', 'evidence', 'cardinality', 'manual', 'compare', 'score'] as const;
export type GateKind = (typeof GATE_KINDS)[number];

/** Every kind's part of a gate's schema (src/plan/schema.ts spreads it into the gate's). */
export const GATE_KIND_FIELDS = {
  ...queryFields,
  ...healthFields,
  ...healthFieldFields,
  ...alertFields,
  ...commandFields,
  ...evidenceFields,
  ...cardinalityFields,
  ...manualFields,
  ...compareFields,
  ...scoreFields,
};

export const GATE_KIND_MODULES: Readonly<Record<GateKind, GateKindModule>> = {
  query: queryKind,
  health: healthKind,
  healthField: healthFieldKind,
  alert: alertKind,
  command: commandKind,
  evidence: evidenceKind,
  cardinality: cardinalityKind,
  manual: manualKind,
  compare: compareKind,
  score: scoreKind,
};

/** The module of a kind. */
export function kindModule(kind: GateKind): GateKindModule {
  return GATE_KIND_MODULES[kind];
}

/** A gate's kind: the one kind field it has. */
export function gateKind(g: Pick<GateSpec, GateKind>): GateKind {
  return GATE_KINDS.find((k) => g[k] !== undefined)!;
}

/** The module of a gate's kind. */
export function moduleOf(gate: GateSpec): GateKindModule {
  return GATE_KIND_MODULES[gateKind(gate)];
}

/** The fail threshold a gate has when the plan gives none, as written ("> 0"); undefined: none. */
export function defaultFail(gate: GateSpec): string | undefined {
  return moduleOf(gate).defaultFail?.(gate);
}

export type { Check, CheckContext, CommandOutcome, GateKindModule, GateMemo } from './types.js';
