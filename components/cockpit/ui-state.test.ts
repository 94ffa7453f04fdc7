/** The view reducer: selection, focus, Esc one level at a time, the freeze and the past polls. */
import { describe, expect, it } from 'vitest';
import { initialUi, uiReducer, type UiState } from './ui-state.js';
import { T0, makeState } from '../../test/helpers/state-fixture.js';

describe('ui reducer', () => {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  it('moves the selection, clamps it and scrolls the window', () => {
    let s: UiState = initialUi;
    s = uiReducer(s, { type: 'move', panel: 'nodes', delta: 3, ids, height: 2 });
    expect(s.selected.nodes).toBe('d');
    expect(s.scroll.nodes).toBe(2);
    s = uiReducer(s, { type: 'move', panel: 'nodes', delta: 10, ids, height: 2 });
    expect(s.selected.nodes).toBe('e');
    s = uiReducer(s, { type: 'move', panel: 'nodes', delta: -10, ids, height: 2 });
    expect(s.selected.nodes).toBe('a');
    expect(s.scroll.nodes).toBe(0);
  });

  it('cycles focus over visible panels; Esc leaves a detail, then clears a filter', () => {
    let s = uiReducer(initialUi, { type: 'focus', delta: -1, visible: ['gates', 'nodes', 'alerts', 'log'] });
    expect(s.focus).toBe('log');
    s = uiReducer(s, { type: 'filter-start', panel: 'nodes' });
    s = uiReducer(s, { type: 'filter-append', text: 'web' });
    s = uiReducer(s, { type: 'filter-backspace' });
    s = uiReducer(s, { type: 'filter-accept' });
    expect(s.filter.nodes).toBe('we');
    s = uiReducer(s, { type: 'open', view: { kind: 'node', name: 'web-1' } });
    s = uiReducer(s, { type: 'back' });
    expect(s.view.kind).toBe('main');
    expect(s.filter.nodes).toBe('we');
    s = uiReducer(s, { type: 'back' });
    expect(s.filter.nodes).toBe('');
  });

  it('freezes a snapshot and thaws', () => {
    const snap = { state: makeState(), extras: {}, now: T0 };
    let s = uiReducer(initialUi, { type: 'freeze', snapshot: snap });
    expect(s.frozen).toBe(snap);
    s = uiReducer(s, { type: 'freeze', snapshot: snap });
    expect(s.frozen).toBeNull();
  });

  it('shows a past poll, and goes live again by Esc (after closing a view) or by live', () => {
    const past = { state: makeState(), extras: {}, now: T0 - 30_000 };
    let s = uiReducer(initialUi, { type: 'view-past', snapshot: past });
    expect(s.frozen).toBe(past);
    expect(s.rewound).toBe(true);
    s = uiReducer(s, { type: 'open', view: { kind: 'help' } });
    s = uiReducer(s, { type: 'back' });
    expect(s.view.kind).toBe('main');
    expect(s.frozen).toBe(past);
    s = uiReducer(s, { type: 'back' });
    expect(s.frozen).toBeNull();
    expect(s.rewound).toBe(false);
    s = uiReducer(uiReducer(s, { type: 'view-past', snapshot: past }), { type: 'live' });
    expect(s.frozen).toBeNull();
    // Z on a past poll is live again, as on a freeze.
    s = uiReducer(uiReducer(s, { type: 'view-past', snapshot: past }), { type: 'freeze', snapshot: past });
    expect(s.frozen).toBeNull();
  });
});
