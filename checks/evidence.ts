/**
 * A field of a JSON evidence report (seed 003's test report, seed 000's benchmark).
 *
 * `since` asks for a report written recently: `since: stage`, since the rollout
 * entered the stage being judged (a report a stage's own smoke test writes);
 * `since: 30m`, within that long. An older report is `no data`: it says
 * nothing about what is running now (the demo's 100 % stage read the report
 * its 50 % stage's smoke test had left, which had checked half the nodes).
 */
import { resolve } from 'node:path';
import * as z from 'zod';
import { formatDuration, parseDuration } from '../src/duration.js';
import type { Check, CheckContext, GateKindModule } from './types.js';
import { asValue, getPath } from './value.js';

/** The evidence kind's part of a gate's schema: a JSON report, the field to read, and how recent it must be. */
export const evidenceFields = {
  evidence: z
    .object({
      file: z.string().min(1),
      field: z.string().min(1),
      since: z
        .string()
        .transform((s, c): 'stage' | number => {
          const ms = s === 'stage' ? 'stage' : parseDuration(s);
          if (ms !== undefined) return ms;
          c.addIssue({ code: 'custom', message: `expected "stage" (written since the stage began) or a duration such as "30m", got "${s}"` });
          return z.NEVER;
        })
        .optional(),
    })
    .strict()
    .optional(),
};

/** Why the report is too old to count, or undefined when it is recent enough (or no `since` was asked). */
async function staleness(file: string, path: string, since: 'stage' | number, ctx: CheckContext): Promise<string | undefined> {
  if (!ctx.fileModifiedAt) return `cannot tell when ${file} was written here`;
  const written = await ctx.fileModifiedAt(path);
  const now = ctx.clock.now();
  const age = formatDuration(Math.max(0, now - written));
  if (since === 'stage') {
    if (written >= ctx.stageEnteredAt) return undefined;
    return `${file} was written ${age} ago, before this stage began ${formatDuration(Math.max(0, now - ctx.stageEnteredAt))} ago: it says nothing about this stage`;
  }
  if (now - written <= since) return undefined;
  return `${file} was written ${age} ago, longer ago than the ${formatDuration(since)} it may be`;
}

export const evidenceCheck: Check = async (gate, ctx) => {
  const { file, field, since } = gate.evidence!;
  const path = resolve(ctx.planDir, file);
  let text: string;
  try {
    // When it was written, before it is read: a report rewritten in between is judged by its older time, never the reverse.
    const stale = since === undefined ? undefined : await staleness(file, path, since, ctx);
    if (stale) return { status: 'no data', reason: stale };
    text = await ctx.readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { status: 'no data', reason: `${file} not found` };
    return { status: 'error', reason: `cannot read ${file}: ${(err as Error).message}` };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { status: 'error', reason: `${file} is not valid JSON` };
  }
  const raw = getPath(doc, field);
  if (raw === undefined) return { status: 'no data', reason: `${file} has no field ${field}` };
  const value = asValue(raw);
  if (value === null) return { status: 'error', reason: `${file} ${field} is not a number, string or boolean` };
  let baseline: number | undefined;
  if (gate.baseline?.field) {
    const b = getPath(doc, gate.baseline.field);
    if (typeof b !== 'number') return { status: 'no data', reason: `${file} has no numeric baseline ${gate.baseline.field}` };
    baseline = b;
  }
  return { status: 'value', value, baseline, note: `${file} ${field}` };
};

export const evidenceKind: GateKindModule = {
  kind: 'evidence',
  check: evidenceCheck,
  describe: (g) => {
    const { file, field, since } = g.evidence!;
    const recent = since === undefined ? '' : since === 'stage' ? ', written since the stage began' : `, written within ${formatDuration(since)}`;
    return `${file} ${field}${recent}`;
  },
  readsNumber: true,
  baselines: { field: 'baseline.field reads a field of an evidence report; this is not an evidence gate' },
};
