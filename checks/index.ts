/** One check per gate kind. */
import { gateKind, type GateKind } from '../src/plan/schema.js';
import type { GateSpec } from '../src/plan/schema.js';
import { alertCheck } from './alert.js';
import { cardinalityCheck } from './cardinality.js';
import { commandCheck } from './command.js';
import { compareCheck, scoreCheck } from './compare.js';
import { evidenceCheck } from './evidence.js';
import { healthFieldCheck } from './health-field.js';
import { healthCheck } from './health.js';
import { manualCheck } from './manual.js';
import { promqlCheck } from './promql.js';
import type { Check } from './types.js';

export const CHECKS: Record<GateKind, Check> = {
  query: promqlCheck,
  health: healthCheck,
  healthField: healthFieldCheck,
  alert: alertCheck,
  command: commandCheck,
  evidence: evidenceCheck,
  cardinality: cardinalityCheck,
  manual: manualCheck,
  compare: compareCheck,
  score: scoreCheck,
};

export function checkFor(gate: GateSpec): Check {
  return CHECKS[gateKind(gate)];
}

/** Kinds whose check asks Prometheus. */
export const PROMETHEUS_KINDS: ReadonlySet<GateKind> = new Set(['query', 'alert', 'cardinality', 'compare']);

/** Default fail threshold when the plan gives none ("> 0" for counts, "!= 0" for exit codes). */
export function defaultFail(kind: GateKind): string | undefined {
  switch (kind) {
    case 'health':
    case 'alert':
    case 'cardinality':
      return '> 0';
    case 'command':
      return '!= 0';
    case 'manual':
      return '== false';
    case 'compare':
      return "!= 'pass'";
    default:
      return undefined;
  }
}

export type { Check, CheckContext, GateMemo, CommandOutcome } from './types.js';
