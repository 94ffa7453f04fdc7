/**
 * What the operator did to the view: focus, selections, scrolling, filters,
 * the open detail or help, the freeze. A reducer, so it is tested without a
 * terminal; the input hook turns keys into these actions.
 */
import type { EngineState } from '../../src/engine/types.js';
import type { CockpitExtras } from '../../src/ui-contract.js';
import { PANEL_ORDER, type PanelId } from '../layout.js';
import type { Token } from '../theme.js';

export type ListPanel = 'gates' | 'nodes';

export type View =
  | { kind: 'main' }
  | { kind: 'gate'; id: string }
  | { kind: 'node'; name: string }
  | { kind: 'help' }
  /** One activity line (or the alert at the top of the alerts panel) shown whole. */
  | { kind: 'line'; at: number; text: string; tok: Token; title?: string };

export interface UiState {
  focus: PanelId;
  view: View;
  /** Selected gate id / node name: the cursor follows the item when the list re-sorts. */
  selected: Partial<Record<ListPanel, string>>;
  /** First visible row of gates, nodes, alerts; for the log, rows scrolled back from the newest. */
  scroll: Record<PanelId, number>;
  /** Rows scrolled in an open detail. */
  detailScroll: number;
  filter: Record<ListPanel, string>;
  /** The list whose filter is being typed, if any. */
  editing: ListPanel | null;
  /** What the panels show instead of the live state: a freeze (Z) or a past poll ([ ]); null when live. */
  frozen: Snapshot | null;
  /** The frozen snapshot is a past poll stepped to with [ ] (not a freeze). */
  rewound: boolean;
  message: { text: string; tok: Token } | null;
}

export interface Snapshot {
  state: EngineState;
  extras: CockpitExtras;
  now: number;
}

export const initialUi: UiState = {
  focus: 'gates',
  view: { kind: 'main' },
  selected: {},
  scroll: { gates: 0, nodes: 0, alerts: 0, log: 0 },
  detailScroll: 0,
  filter: { gates: '', nodes: '' },
  editing: null,
  frozen: null,
  rewound: false,
  message: null,
};

export type UiAction =
  | { type: 'focus'; delta: number; visible: readonly PanelId[] }
  | { type: 'focus-panel'; panel: PanelId }
  /** Moves the selection of a list by delta (clamped), keeping it in a window of `height` rows. */
  | { type: 'move'; panel: ListPanel; delta: number; ids: readonly string[]; height: number }
  /** Scrolls alerts (down = later rows) or the log (down = towards the newest). */
  | { type: 'scroll'; panel: 'alerts' | 'log'; delta: number; len: number; height: number }
  | { type: 'open'; view: View }
  | { type: 'back' }
  | { type: 'help' }
  | { type: 'detail-scroll'; delta: number; max: number }
  | { type: 'filter-start'; panel: ListPanel }
  | { type: 'filter-append'; text: string }
  | { type: 'filter-backspace' }
  | { type: 'filter-accept' }
  | { type: 'filter-cancel' }
  | { type: 'freeze'; snapshot: Snapshot }
  /** Shows a past poll ([ ]) while the live state goes on underneath. */
  | { type: 'view-past'; snapshot: Snapshot }
  /** Back to the live state (from a freeze or a past poll). */
  | { type: 'live' }
  | { type: 'message'; text: string; tok: Token }
  | { type: 'clear-message' };

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), Math.max(lo, hi));

export function uiReducer(s: UiState, a: UiAction): UiState {
  switch (a.type) {
    case 'focus': {
      const order = PANEL_ORDER.filter((p) => a.visible.includes(p));
      if (order.length === 0) return s;
      const i = order.indexOf(s.focus);
      const next = order[(((i < 0 ? 0 : i) + a.delta) % order.length + order.length) % order.length]!;
      return { ...s, focus: next };
    }
    case 'focus-panel':
      return { ...s, focus: a.panel };
    case 'move': {
      if (a.ids.length === 0) return s;
      const cur = Math.max(0, a.ids.indexOf(s.selected[a.panel] ?? ''));
      const next = clamp(cur + a.delta, 0, a.ids.length - 1);
      let top = s.scroll[a.panel];
      if (next < top) top = next;
      else if (a.height > 0 && next >= top + a.height) top = next - a.height + 1;
      top = clamp(top, 0, a.ids.length - Math.max(1, a.height));
      return { ...s, selected: { ...s.selected, [a.panel]: a.ids[next] }, scroll: { ...s.scroll, [a.panel]: top } };
    }
    case 'scroll': {
      const max = Math.max(0, a.len - a.height);
      const v = a.panel === 'log' ? s.scroll.log - a.delta : s.scroll.alerts + a.delta;
      return { ...s, scroll: { ...s.scroll, [a.panel]: clamp(v, 0, max) } };
    }
    case 'open':
      return { ...s, view: a.view, detailScroll: 0 };
    case 'back':
      // One level at a time: the open view, then the past (back to live), then the filter.
      if (s.view.kind !== 'main') return { ...s, view: { kind: 'main' }, detailScroll: 0 };
      if (s.frozen) return { ...s, frozen: null, rewound: false };
      if (s.filter.gates || s.filter.nodes) {
        const panel: ListPanel = s.focus === 'gates' && s.filter.gates ? 'gates' : s.filter.nodes ? 'nodes' : 'gates';
        return { ...s, filter: { ...s.filter, [panel]: '' }, scroll: { ...s.scroll, [panel]: 0 } };
      }
      return s;
    case 'help':
      return { ...s, view: s.view.kind === 'help' ? { kind: 'main' } : { kind: 'help' }, detailScroll: 0 };
    case 'detail-scroll':
      return { ...s, detailScroll: clamp(s.detailScroll + a.delta, 0, a.max) };
    case 'filter-start':
      return { ...s, editing: a.panel, focus: a.panel, view: { kind: 'main' } };
    case 'filter-append':
    case 'filter-backspace': {
      if (!s.editing) return s;
      const cur = s.filter[s.editing];
      const text = a.type === 'filter-append' ? (cur + a.text).slice(0, 80) : [...cur].slice(0, -1).join('');
      return { ...s, filter: { ...s.filter, [s.editing]: text }, scroll: { ...s.scroll, [s.editing]: 0 } };
    }
    case 'filter-accept':
      return { ...s, editing: null };
    case 'filter-cancel':
      if (!s.editing) return s;
      return { ...s, filter: { ...s.filter, [s.editing]: '' }, editing: null };
    case 'freeze':
      return { ...s, frozen: s.frozen ? null : a.snapshot, rewound: false };
    case 'view-past':
      return { ...s, frozen: a.snapshot, rewound: true };
    case 'live':
      return s.frozen ? { ...s, frozen: null, rewound: false } : s;
    case 'message':
      return { ...s, message: { text: a.text, tok: a.tok } };
    case 'clear-message':
      return s.message ? { ...s, message: null } : s;
  }
}
