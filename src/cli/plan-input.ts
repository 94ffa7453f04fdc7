/** Loading a plan for a command: overrides from flags, and the message a bad plan gets. */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { formatProblem, loadPlan, PlanError, withOverrides, type LoadedPlan } from '../plan/load.js';

export interface PlanFlags {
  prometheusUrl?: string;
  nodesFile?: string;
}

const nodeEntry = z.object({ name: z.string(), url: z.string().url(), health: z.string().optional(), deep: z.string().optional() });
/** A JSON list of nodes, or `{ nodes: [...] }` as `flightdeck simulate --write-plan-nodes` writes it. */
const nodesFileSchema = z.union([z.array(nodeEntry), z.object({ nodes: z.array(nodeEntry) }).transform((o) => o.nodes)]);

/** Loads and validates the plan; throws PlanError (file:line:col field: message) or Error. */
export async function loadPlanWithFlags(file: string, flags: PlanFlags): Promise<LoadedPlan> {
  const loaded = await loadPlan(file);
  let nodes;
  if (flags.nodesFile) {
    const parsed = nodesFileSchema.safeParse(JSON.parse(await readFile(flags.nodesFile, 'utf8')));
    if (!parsed.success) throw new Error(`${flags.nodesFile}: expected a JSON array of {name, url} (or {nodes: [...]})`);
    nodes = parsed.data.map((n) => ({ ...n, health: n.health ?? '/health' }));
  }
  return withOverrides(loaded, { prometheusUrl: flags.prometheusUrl, nodes });
}

/** One line per problem for a bad plan; a short message otherwise. */
export function describeLoadError(err: unknown): string {
  if (err instanceof PlanError) return err.problems.map(formatProblem).join('\n');
  return err instanceof Error ? err.message : String(err);
}
