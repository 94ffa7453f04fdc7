/** Which gate `s` signs off: the open gate detail, or the selected row of the focused gates panel; manual gates only. */
import type { GateView } from '../../src/engine/types.js';
import { notManualText } from '../../src/present/values.js';
import type { View } from '../cockpit/ui-state.js';
import type { PanelId } from '../layout.js';

export function signoffTarget(
  view: View,
  focus: PanelId,
  selectedId: string | undefined,
  shown: readonly GateView[],
  all: readonly GateView[],
): { gate: GateView } | { message: string } {
  let gate: GateView | undefined;
  if (view.kind === 'gate') gate = all.find((g) => g.id === view.id);
  else if (view.kind === 'main' && focus === 'gates') gate = shown.find((g) => g.id === selectedId) ?? shown[0];
  else return { message: 'select a manual gate in GATES (or open it) and press s' };
  if (!gate) return { message: 'no gate selected' };
  if (gate.kind !== 'manual') return { message: notManualText(gate) };
  return { gate };
}
