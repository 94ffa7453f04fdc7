/**
 * The registry of gate kinds: one module per kind (checks/<kind>.ts), each
 * behind the one interface of src/gate-contract.ts. The engine, the gate state
 * machine and the reports look a gate's kind up here.
 */
import { gateKind, type GateKind } from '../src/plan/schema.js';
import type { GateSpec } from '../src/plan/schema.js';
import { alertKind } from './alert.js';
import { cardinalityKind } from './cardinality.js';
import { commandKind } from './command.js';
import { compareKind, scoreKind } from './compare.js';
import { evidenceKind } from './evidence.js';
import { healthFieldKind } from './health-field.js';
import { healthKind } from './health.js';
import { manualKind } from './manual.js';
import { queryKind } from './promql.js';
import type { GateKindModule } from './types.js';

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

/** The module of a gate's kind. */
export function moduleOf(gate: GateSpec): GateKindModule {
  return GATE_KIND_MODULES[gateKind(gate)];
}

/** The fail threshold a gate has when the plan gives none, as written ("> 0"); undefined: none. */
export function defaultFail(gate: GateSpec): string | undefined {
  return moduleOf(gate).defaultFail?.(gate);
}

export type { Check, CheckContext, CommandOutcome, GateKindModule, GateMemo } from './types.js';
