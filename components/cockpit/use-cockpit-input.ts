/**
 * The cockpit's keys: resolves key presses through the keymap and turns them
 * into UI actions and the CLI's callbacks. Two layers: the global keys, and
 * the `/` filter field above them while it is being typed.
 */
import type { Dispatch } from 'react';
import type { Key } from 'ink';
import type { GateView } from '../../src/engine/types.js';
import type { NodeStatus } from '../../src/sources/types.js';
import type { CockpitCallbacks } from '../../src/ui-contract.js';
import { PRIORITY } from '../input/key-layers.js';
import { useKeyLayer } from '../input/KeyLayers.js';
import { actionFor, type KeyAction } from '../keymap.js';
import { panelRows, type FrameLayout, type PanelId } from '../layout.js';
import type { Snapshot, UiAction, UiState } from './ui-state.js';

export interface CockpitInputContext {
  ui: UiState;
  dispatch: Dispatch<UiAction>;
  layout: FrameLayout;
  gates: readonly GateView[];
  nodes: readonly NodeStatus[];
  alertCount: number;
  logCount: number;
  /** Rows the open detail can scroll through (samples, health fields). */
  detailLength: number;
  /** What Z freezes. */
  snapshot: () => Snapshot;
  readonly: boolean;
  callbacks: Partial<CockpitCallbacks>;
  /** Clears the terminal and paints the frame again. */
  redraw: () => void;
}

const MOVES: Partial<Record<KeyAction, (page: number, len: number) => number>> = {
  'row-down': () => 1,
  'row-up': () => -1,
  'page-down': (page) => Math.max(1, page - 1),
  'page-up': (page) => -Math.max(1, page - 1),
  top: (_p, len) => -len,
  bottom: (_p, len) => len,
};

export function handleCockpitKey(c: CockpitInputContext, action: KeyAction): void {
  const { ui, dispatch, layout } = c;
  if (ui.message && action !== 'refresh') dispatch({ type: 'clear-message' });
  const visible = layout.columns.flatMap((col) => col.panels.map((p) => p.id));
  switch (action) {
    case 'quit':
      c.callbacks.onQuit?.();
      return;
    case 'help':
      dispatch({ type: 'help' });
      return;
    case 'back':
      dispatch({ type: 'back' });
      return;
    case 'focus-next':
    case 'focus-prev':
      if (ui.view.kind === 'main') dispatch({ type: 'focus', delta: action === 'focus-next' ? 1 : -1, visible });
      return;
    case 'open': {
      if (ui.view.kind !== 'main') return;
      if (ui.focus === 'gates' && c.gates.length) {
        const g = c.gates.find((x) => x.id === ui.selected.gates) ?? c.gates[0]!;
        dispatch({ type: 'open', view: { kind: 'gate', id: g.id } });
      } else if (ui.focus === 'nodes' && c.nodes.length) {
        const n = c.nodes.find((x) => x.name === ui.selected.nodes) ?? c.nodes[0]!;
        dispatch({ type: 'open', view: { kind: 'node', name: n.name } });
      }
      return;
    }
    case 'filter':
      dispatch({ type: 'filter-start', panel: ui.focus === 'gates' ? 'gates' : 'nodes' });
      return;
    case 'refresh':
      c.callbacks.onCommand?.({ type: 'refresh' });
      dispatch({ type: 'message', text: 'refresh requested', tok: 'accent' });
      return;
    case 'freeze':
      dispatch({ type: 'freeze', snapshot: c.snapshot() });
      return;
    case 'redraw':
      c.redraw();
      c.callbacks.onRedraw?.();
      return;
    case 'promote':
    case 'rollback':
      if (c.readonly) dispatch({ type: 'message', text: `read-only: ${action} is disabled`, tok: 'warn' });
      else if (!c.callbacks.onAction) dispatch({ type: 'message', text: `${action} is not available here`, tok: 'warn' });
      else c.callbacks.onAction(action);
      return;
    default: {
      const move = MOVES[action];
      if (!move) return;
      if (ui.view.kind === 'gate' || ui.view.kind === 'node') {
        const len = c.detailLength;
        dispatch({ type: 'detail-scroll', delta: move(Math.max(1, layout.body - 4), len), max: Math.max(0, len - 1) });
        return;
      }
      if (ui.view.kind !== 'main') return;
      const panel: PanelId = ui.focus;
      const rows = panelRows(layout, panel);
      if (panel === 'gates' || panel === 'nodes') {
        const ids = panel === 'gates' ? c.gates.map((g) => g.id) : c.nodes.map((n) => n.name);
        dispatch({ type: 'move', panel, delta: move(rows, ids.length), ids, height: rows });
      } else {
        const len = panel === 'alerts' ? c.alertCount : c.logCount;
        dispatch({ type: 'scroll', panel, delta: move(rows, len), len, height: rows });
      }
    }
  }
}

/** Text typed into the filter field; true when consumed. */
export function handleFilterKey(dispatch: Dispatch<UiAction>, input: string, key: Key): boolean {
  if (key.ctrl && input === 'c') return false; // quit still works
  if (key.escape) dispatch({ type: 'filter-cancel' });
  else if (key.return) dispatch({ type: 'filter-accept' });
  else if (key.backspace || key.delete) dispatch({ type: 'filter-backspace' });
  else if (input && !key.ctrl && !key.meta && !key.tab && !key.upArrow && !key.downArrow) {
    // eslint-disable-next-line no-control-regex
    const text = input.replace(/[\u0000-\u001f\u007f]/g, '');
    if (text) dispatch({ type: 'filter-append', text });
  }
  return true;
}

export function useCockpitInput(c: CockpitInputContext): void {
  useKeyLayer(PRIORITY.base, (input, key) => {
    const action = actionFor(input, key);
    if (!action) return false;
    handleCockpitKey(c, action);
    return true;
  });
  useKeyLayer(PRIORITY.input, (input, key) => handleFilterKey(c.dispatch, input, key), c.ui.editing !== null);
}
