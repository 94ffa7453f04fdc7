/**
 * The cockpit's keys: one layer that resolves every key through the binding
 * table (components/keymap.ts) by scope — the filter field while it is
 * typed, the view's own keys (replay), then global and list keys — and turns
 * them into UI actions and the CLI's callbacks. It reads the UI state from a
 * ref that each action updates at once, so the keys of one chunk (a paste,
 * a laggy link: "jjj", "/p95") each see what the keys before them did.
 */
import type { Dispatch } from 'react';
import type { Key } from 'ink';
import type { GateView } from '../../src/engine/types.js';
import type { NodeStatus } from '../../src/sources/types.js';
import type { CockpitCallbacks } from '../../src/ui-contract.js';
import { PRIORITY } from '../input/key-layers.js';
import { useKeyLayer } from '../input/KeyLayers.js';
import { formatClock } from '../format.js';
import { actionFor, bindingFor, droppedFor, filterActionFor, keyLabel, matchesSpec, type KeyAction, type ViewKey } from '../keymap.js';
import { panelRows, type FrameLayout, type PanelId } from '../layout.js';
import { pollKey, type PollHistory } from './poll-history.js';
import type { Snapshot, UiAction, UiState } from './ui-state.js';

export interface CockpitInputContext {
  /** The newest UI state (a ref's value: updated by every dispatch at once). */
  ui: () => UiState;
  dispatch: Dispatch<UiAction>;
  layout: FrameLayout;
  /** The gates and nodes panels' rows under the newest filter. */
  gates: () => readonly GateView[];
  nodes: () => readonly NodeStatus[];
  alertCount: number;
  logCount: number;
  /** Rows the open detail can scroll through (samples, health fields). */
  detailLength: number;
  /** What Z freezes: the live state now. */
  snapshot: () => Snapshot;
  /** The past polls [ and ] step through. */
  history?: () => PollHistory;
  /** Clock times in UTC (the refusal message names the time viewed). */
  utc?: boolean;
  readonly: boolean;
  /** A replay or other view: dangerous keys say so rather than "read-only". */
  viewName?: string;
  viewKeys?: readonly ViewKey[];
  callbacks: Partial<CockpitCallbacks>;
  /** s: sign off the selected manual gate. */
  onSignoff?: () => void;
  /** Enter on an activity line: show it whole. */
  openLogLine?: () => void;
  /** Enter on the alerts panel: show its top alert whole. */
  openAlert?: () => void;
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
  const { dispatch, layout } = c;
  const ui = c.ui();
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
      const gates = c.gates();
      const nodes = c.nodes();
      if (ui.focus === 'gates' && gates.length) {
        const g = gates.find((x) => x.id === ui.selected.gates) ?? gates[0]!;
        dispatch({ type: 'open', view: { kind: 'gate', id: g.id } });
      } else if (ui.focus === 'nodes' && nodes.length) {
        const n = nodes.find((x) => x.name === ui.selected.nodes) ?? nodes[0]!;
        dispatch({ type: 'open', view: { kind: 'node', name: n.name } });
      } else if (ui.focus === 'log' && c.logCount > 0) c.openLogLine?.();
      else if (ui.focus === 'alerts' && c.alertCount > 0) c.openAlert?.();
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
    case 'past':
    case 'later':
      stepThroughPolls(c, ui, action);
      return;
    case 'redraw':
      c.redraw();
      c.callbacks.onRedraw?.();
      return;
    case 'signoff':
      c.onSignoff?.();
      return;
    case 'promote':
    case 'rollback':
      if (!c.callbacks.onAction) dispatch({ type: 'message', text: `${action} is not available here`, tok: 'warn' });
      else c.callbacks.onAction(action);
      return;
    default: {
      const move = MOVES[action];
      if (!move) return;
      if (ui.view.kind === 'gate' || ui.view.kind === 'node' || ui.view.kind === 'line' || ui.view.kind === 'help') {
        const len = c.detailLength;
        dispatch({ type: 'detail-scroll', delta: move(Math.max(1, layout.body - 4), len), max: Math.max(0, len - 1) });
        return;
      }
      if (ui.view.kind !== 'main') return;
      const panel: PanelId = ui.focus;
      const rows = panelRows(layout, panel);
      if (panel === 'gates' || panel === 'nodes') {
        const ids = panel === 'gates' ? c.gates().map((g) => g.id) : c.nodes().map((n) => n.name);
        dispatch({ type: 'move', panel, delta: move(rows, ids.length), ids, height: rows });
      } else {
        const len = panel === 'alerts' ? c.alertCount : c.logCount;
        dispatch({ type: 'scroll', panel, delta: move(rows, len), len, height: rows });
      }
    }
  }
}

/**
 * [ and ]: the poll before / after the one shown (from live or a freeze, the
 * poll before the newest). ] past the newest kept poll is live again.
 */
function stepThroughPolls(c: CockpitInputContext, ui: UiState, action: 'past' | 'later'): void {
  const history = c.history?.();
  const live = c.snapshot();
  const shown = ui.frozen ?? live;
  const say = (text: string) => c.dispatch({ type: 'message', text, tok: 'warn' });
  if (!history) return say('no past polls here');
  if (action === 'past') {
    const prev = history.before(shown);
    if (prev) c.dispatch({ type: 'view-past', snapshot: prev });
    else if (history.size === 0) say('no poll yet: nothing to step back to');
    else say(`no earlier poll kept (the last ${history.limit} polls are kept)`);
    return;
  }
  if (!ui.frozen) return say('already live');
  const next = history.after(shown);
  // The live state's own poll is not the past: stepping onto it is going live.
  if (next && pollKey(next) < pollKey(live)) c.dispatch({ type: 'view-past', snapshot: next });
  else c.dispatch({ type: 'live' });
}

/** Text typed into the filter field; true when consumed. */
export function handleFilterKey(dispatch: Dispatch<UiAction>, input: string, key: Key): boolean {
  if (key.ctrl && input === 'c') return false; // quit still works
  const action = filterActionFor(input, key);
  if (action === 'filter-cancel') dispatch({ type: 'filter-cancel' });
  else if (action === 'filter-accept') dispatch({ type: 'filter-accept' });
  else if (action === 'filter-erase') dispatch({ type: 'filter-backspace' });
  else if (input && !key.ctrl && !key.meta && !key.tab && !key.upArrow && !key.downArrow) {
    // eslint-disable-next-line no-control-regex
    const text = input.replace(/[\u0000-\u001f\u007f]/g, '');
    if (text) dispatch({ type: 'filter-append', text });
  }
  return true;
}

/** One key through the scopes in order: filter (while typed), the view's keys, global and list. */
export function routeCockpitKey(c: CockpitInputContext, input: string, key: Key): boolean {
  if (c.ui().editing) return handleFilterKey(c.dispatch, input, key);
  const own = c.viewKeys?.find((v) => v.keys.some((k) => matchesSpec(k, input, key)));
  if (own) {
    own.run();
    return true;
  }
  const action = actionFor(input, key, { readonly: c.readonly });
  const past = c.ui().frozen;
  if (action && past && bindingFor(action).dangerous) {
    // Keys that act do so on the live rollout: never from a screen showing the past.
    const b = bindingFor(action);
    c.dispatch({
      type: 'message',
      text: `${keyLabel(b.keys[0]!)} ${b.hint ?? b.action} refused: this screen shows ${formatClock(past.now, c.utc)}, the past; Esc returns to live`,
      tok: 'warn',
    });
    return true;
  }
  if (action) {
    handleCockpitKey(c, action);
    return true;
  }
  const dropped = c.readonly ? droppedFor(input, key) : undefined;
  if (dropped) {
    const where = c.viewName ? `${c.viewName}: nothing acts from here` : 'read-only (started with --readonly)';
    c.dispatch({ type: 'message', text: `${where}: ${keyLabel(dropped.keys[0]!)} (${dropped.description}) is off`, tok: 'warn' });
    return true;
  }
  return false;
}

export function useCockpitInput(c: CockpitInputContext): void {
  useKeyLayer(PRIORITY.base, (input, key) => routeCockpitKey(c, input, key));
}
