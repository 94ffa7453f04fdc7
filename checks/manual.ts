/** Manual sign-off (seed 003's go-live checklist, seed 004's page checks): true once a named operator ticked it. */
import type { Check } from './types.js';

export const manualCheck: Check = async (gate, ctx) => {
  const signed = ctx.signoffs.get(gate.id);
  if (!signed) return { status: 'value', value: false, note: `awaiting sign-off: ${gate.manual!.item}` };
  return { status: 'value', value: true, note: `signed off by ${signed.operator}: ${signed.note}` };
};
