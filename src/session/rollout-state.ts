/**
 * Where the rollout stands, kept beside the plan (`.flightdeck/<plan>.state.json`)
 * so that a reopened cockpit, a second operator's cockpit and the
 * non-interactive `promote` / `rollback` commands agree on the current stage.
 * Written atomically (temp file + rename).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';

const stateSchema = z.object({
  stageId: z.string(),
  stageEnteredAt: z.number(),
  rolledBack: z.boolean(),
  updatedAt: z.number(),
  by: z.string(),
});

export type RolloutState = z.infer<typeof stateSchema>;

export function statePathFor(planFile: string, dir?: string): string {
  const plan = resolve(planFile);
  return join(dir ? resolve(dir) : join(dirname(plan), '.flightdeck'), `${basename(plan)}.state.json`);
}

/** The saved state, or null when there is none (or it is unreadable: a fresh start is safe). */
export async function loadRolloutState(planFile: string, dir?: string): Promise<RolloutState | null> {
  try {
    const parsed = stateSchema.safeParse(JSON.parse(await readFile(statePathFor(planFile, dir), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export async function saveRolloutState(planFile: string, state: RolloutState, dir?: string): Promise<void> {
  const path = statePathFor(planFile, dir);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, path);
}
