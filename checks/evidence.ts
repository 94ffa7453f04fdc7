/** A field of a JSON evidence report (seed 003's test report, seed 000's benchmark). */
import { resolve } from 'node:path';
import * as z from 'zod';
import type { Check, GateKindModule } from './types.js';
import { asValue, getPath } from './value.js';

/** The evidence kind's part of a gate's schema: a JSON report and the field to read. */
export const evidenceFields = { evidence: z.object({ file: z.string().min(1), field: z.string().min(1) }).strict().optional() };

export const evidenceCheck: Check = async (gate, ctx) => {
  const { file, field } = gate.evidence!;
  const path = resolve(ctx.planDir, file);
  let text: string;
  try {
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
  describe: (g) => `${g.evidence!.file} ${g.evidence!.field}`,
  readsNumber: true,
  baselines: { field: 'baseline.field reads a field of an evidence report; this is not an evidence gate' },
};
