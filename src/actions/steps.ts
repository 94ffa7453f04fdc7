/** Every action shape (one command, one HTTP call, ordered steps) as one list of steps. */
import type { ActionSpec } from '../plan/schema.js';
import type { ActionKind } from './types.js';

type StepsAction = Extract<ActionSpec, { steps: unknown }>;
type StepSpec = StepsAction['steps'][number];
export type HttpSpec = NonNullable<StepSpec['http']>;
export type PreconditionSpec = NonNullable<StepSpec['precondition']>;

export interface PlannedStep {
  name: string;
  run?: string[];
  http?: HttpSpec;
  /** ms */
  timeout: number;
  cwd?: string;
  env?: Record<string, string>;
  /** Extra argv under --dry-run; false or undefined: skipped under --dry-run. */
  dryRun?: string[] | false;
  precondition?: PreconditionSpec;
  /** Processes left in the group after the main process exited: killed (default) or left running. */
  leftovers?: 'kill' | 'leave';
  continueOnFailure: boolean;
  optional: boolean;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 600_000;

export function planSteps(spec: ActionSpec, kind: ActionKind): PlannedStep[] {
  if ('steps' in spec) {
    return spec.steps.map((s) => {
      const step: PlannedStep = {
        name: s.name,
        timeout: s.timeout ?? s.http?.timeout ?? DEFAULT_COMMAND_TIMEOUT_MS,
        continueOnFailure: s.continueOnFailure,
        optional: s.optional,
      };
      if (s.run) step.run = s.run;
      if (s.http) step.http = s.http;
      if (s.cwd !== undefined) step.cwd = s.cwd;
      if (s.env) step.env = s.env;
      const dry = s.dryRun ?? s.http?.dryRun;
      if (dry !== undefined) step.dryRun = dry;
      if (s.precondition) step.precondition = s.precondition;
      if (s.leftovers) step.leftovers = s.leftovers;
      return step;
    });
  }
  if ('http' in spec) {
    const step: PlannedStep = { name: kind, http: spec.http, timeout: spec.http.timeout, continueOnFailure: false, optional: false };
    if (spec.http.dryRun !== undefined) step.dryRun = spec.http.dryRun;
    return [step];
  }
  const step: PlannedStep = { name: kind, run: spec.run, timeout: spec.timeout, continueOnFailure: false, optional: false };
  if (spec.cwd !== undefined) step.cwd = spec.cwd;
  if (spec.env) step.env = spec.env;
  if (spec.dryRun !== undefined) step.dryRun = spec.dryRun;
  if (spec.leftovers) step.leftovers = spec.leftovers;
  return [step];
}

export type IncludeResolution = { ok: true; include: string[] | 'all' | undefined; notOptional: string[] } | { ok: false; unknown: string[]; names: string[] };

/**
 * What `--include` asks for, checked against the action's steps: `all` means
 * every optional step; any other word must be a step's exact name. Names of
 * steps that run anyway (not optional) are returned so the caller can say so.
 */
export function resolveInclude(spec: ActionSpec, kind: ActionKind, include: readonly string[] | undefined): IncludeResolution {
  if (!include || include.length === 0) return { ok: true, include: undefined, notOptional: [] };
  const steps = planSteps(spec, kind);
  const names = steps.map((s) => s.name);
  const asked = include.filter((n) => n !== 'all');
  const unknown = asked.filter((n) => !names.includes(n));
  if (unknown.length > 0) return { ok: false, unknown, names };
  const notOptional = asked.filter((n) => steps.some((s) => s.name === n && !s.optional));
  return { ok: true, include: include.includes('all') ? 'all' : [...asked], notOptional };
}
