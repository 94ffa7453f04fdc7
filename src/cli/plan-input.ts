/** Loading a plan for a command: overrides from flags, and the message a bad plan gets. */
import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import { formatProblem, loadPlan, PlanError, withOverrides, type LoadedPlan } from '../plan/plan-file.js';
import { planSchema } from '../plan/schema.js';

export interface PlanFlags {
  prometheusUrl?: string;
  nodesFile?: string;
}

/** A JSON list of nodes as a plan writes them, or `{ nodes: [...] }` as `flightdeck simulate --write-plan-nodes` does. */
const nodes = planSchema.shape.nodes;
const nodesFileSchema = z.union([nodes, z.object({ nodes }).transform((o) => o.nodes)]);

/** Loads and validates the plan; throws PlanError (file:line:col field: message) or Error. */
export async function loadPlanWithFlags(file: string, flags: PlanFlags): Promise<LoadedPlan> {
  const loaded = await loadPlan(file);
  let override;
  if (flags.nodesFile) {
    const parsed = nodesFileSchema.safeParse(JSON.parse(await readFile(flags.nodesFile, 'utf8')));
    if (!parsed.success) throw new Error(`${flags.nodesFile}: expected a JSON array of {name, url} (or {nodes: [...]})`);
    override = parsed.data;
  }
  return withOverrides(loaded, { prometheusUrl: flags.prometheusUrl, nodes: override });
}

/** One line per problem for a bad plan; a short message otherwise. */
export function describeLoadError(err: unknown): string {
  if (err instanceof PlanError) return err.problems.map(formatProblem).join('\n');
  return err instanceof Error ? err.message : String(err);
}
