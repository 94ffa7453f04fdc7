/** Manual sign-off (seed 003's go-live checklist, seed 004's page checks): true once a named operator ticked it. */
import * as z from 'zod';
import type { Check, GateKindModule } from './types.js';

/** The manual kind's part of a gate's schema: the checklist item, who may sign it, whether a note is needed. */
export const manualFields = {
  manual: z
    .object({ item: z.string().min(1), operators: z.array(z.string()).optional(), noteRequired: z.boolean().default(true) })
    .strict()
    .optional(),
};

export const manualCheck: Check = async (gate, ctx) => {
  const signed = ctx.signoffs.get(gate.id);
  if (!signed) return { status: 'value', value: false, note: `awaiting sign-off: ${gate.manual!.item}` };
  return { status: 'value', value: true, note: `signed off by ${signed.operator}: ${signed.note}` };
};

export const manualKind: GateKindModule = {
  kind: 'manual',
  check: manualCheck,
  describe: (g) => `sign-off: ${g.manual!.item}`,
  defaultFail: () => '== false',
  // No threshold decides a sign-off: signed is ok, anything else waits.
  settle: (value, note) => (value === true ? { condition: 'ok', why: note ?? 'signed off' } : { condition: 'pending', why: note ?? 'awaiting sign-off' }),
  signoff: (gate, { operator, note }) => {
    const allowed = gate.manual!.operators;
    if (allowed && !allowed.includes(operator)) return { refused: `${operator} may not sign off ${gate.id} (allowed: ${allowed.join(', ')})` };
    if (gate.manual!.noteRequired && note.trim() === '') return { refused: `sign-off of ${gate.id} needs a note` };
    return { result: { status: 'value', value: true, note: `signed off by ${operator}: ${note}` } };
  },
  awaitsPerson: true,
};
