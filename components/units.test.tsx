/** The cockpit's pure parts: formatting, row budgets, the UI reducer, the keymap, the key layer stack, sparklines. */
import { describe, expect, it } from 'vitest';
import { inkKey as key } from './testing/keys.js';
import { activityEntries, formatEvent } from './activity.js';
import { initialUi, uiReducer, type UiState } from './cockpit/ui-state.js';
import { chunk, formatAge, formatClock, formatThresholds, formatValue, sanitize, truncate } from './format.js';
import { stateChanges } from './GateDetail.js';
import { failsInText, gateList } from './GatesPanel.js';
import { KeyLayerStack, PRIORITY } from './input/key-layers.js';
import { KEYMAP, actionFor, bindingLabel } from './keymap.js';
import { allocate, computeLayout, windowStart } from './layout.js';
import { fitSegments } from './Line.js';
import { flattenBody } from './NodeDetail.js';
import { fleetSummary, nodeList } from './NodesPanel.js';
import { asciiSpark, colorDisabled, makeTheme, unicodeSpark } from './theme.js';
import { T0, events, fleet, gate, gatesInEveryState, makeState } from '../test/helpers/state-fixture.js';

describe('format', () => {
  it('ages, clock times, values, thresholds', () => {
    expect(formatAge(252_000)).toBe('4m12s');
    expect(formatAge(-5)).toBe('0s');
    expect(formatClock(Date.UTC(2026, 0, 1, 9, 5, 7), true)).toBe('09:05:07');
    expect(formatValue(0.071234)).toBe('0.0712');
    expect(formatValue(null)).toBe('-');
    expect(formatValue(true)).toBe('true');
    expect(formatThresholds(['> 0.05'], ['> 0.03'])).toBe('> 0.05 | warn > 0.03');
    expect(formatThresholds([], [], true)).toBe('-');
  });

  it('sanitizes escapes and control characters out of outside text', () => {
    expect(sanitize('a\u001b[2Jb\u001b]0;title\u0007c\r\nd\te')).toBe('abc d e');
  });

  it('truncates and chunks by columns', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
    expect(chunk('abcdefghij', 4, 2)).toEqual(['abcd', 'efg…']);
    expect(fitSegments([{ text: 'abc', tok: 'ok' }, { text: 'def', tok: 'ok' }, { text: 'ghi' }], 7, '~')).toEqual([{ text: 'abcdef~', tok: 'ok' }]);
  });
});

describe('layout', () => {
  it('gives titles first, then rows by priority, leftovers to the last panel', () => {
    const h = allocate(10, { gates: 40, nodes: 500, alerts: 3, log: 3 }, ['gates', 'nodes', 'alerts', 'log'], [
      ['gates', 3],
      ['nodes', 1],
      ['gates', Infinity],
    ]);
    expect([...h]).toEqual([
      ['gates', 6],
      ['nodes', 2],
      ['alerts', 1],
      ['log', 1],
    ]);
    const spare = allocate(10, { gates: 2, nodes: 2, alerts: 1, log: 1 }, ['gates', 'nodes', 'alerts', 'log'], [['gates', Infinity]]);
    expect(spare.get('gates')).toBe(2);
    expect(spare.get('log')).toBe(1 + 5);
    const small = allocate(2, {}, ['gates', 'nodes', 'alerts'], []);
    expect([...small.keys()]).toEqual(['gates', 'nodes']);
  });

  it('fills exactly rows-1 lines at every size', () => {
    for (const rows of [16, 24, 50, 80]) {
      for (const columns of [60, 80, 140, 200]) {
        const l = computeLayout({ columns, rows }, { headerLines: 3, wants: { gates: 41, nodes: 501, alerts: 13, log: 201 } });
        expect(l.header + l.stage + l.body + l.footer).toBe(rows - 1);
        for (const c of l.columns) expect(c.panels.reduce((n, p) => n + p.height, 0)).toBe(l.body);
        expect(l.columns.reduce((n, c) => n + c.width, 0) + l.columns.length - 1).toBe(columns - 1);
        expect(l.wide).toBe(columns >= 140);
      }
    }
    expect(computeLayout({ columns: 59, rows: 40 }, { headerLines: 2, wants: { gates: 1, nodes: 1, alerts: 1, log: 1 } }).tooSmall).toBe(true);
    expect(computeLayout({ columns: 60, rows: 16 }, { headerLines: 2, wants: { gates: 1, nodes: 1, alerts: 1, log: 1 } }).tooSmall).toBe(false);
  });

  it('windows keep the selected row visible', () => {
    expect(windowStart(100, 10, 0, 25)).toBe(16);
    expect(windowStart(100, 10, 50, 45)).toBe(45);
    expect(windowStart(100, 10, 95, -1)).toBe(90);
    expect(windowStart(5, 10, 3, 4)).toBe(0);
  });
});

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
});

describe('keymap and key layers', () => {
  it('resolves keys to actions', () => {
    expect(actionFor('', key({ tab: true }))).toBe('focus-next');
    expect(actionFor('', key({ tab: true, shift: true }))).toBe('focus-prev');
    expect(actionFor('j', key())).toBe('row-down');
    expect(actionFor('', key({ downArrow: true }))).toBe('row-down');
    expect(actionFor('Z', key({ shift: true }))).toBe('freeze');
    expect(actionFor('z', key())).toBeUndefined();
    expect(actionFor('l', key({ ctrl: true }))).toBe('redraw');
    expect(actionFor('l', key())).toBeUndefined();
    expect(actionFor('c', key({ ctrl: true }))).toBe('quit');
    expect(actionFor('', key({ escape: true, meta: true }))).toBe('back');
    expect(actionFor('', key({ return: true }))).toBe('open');
  });

  it('has one binding per action and no key bound twice within the scopes in force together', () => {
    const actions = KEYMAP.map((b) => b.action);
    expect(new Set(actions).size).toBe(actions.length);
    const inScopes = (...scopes: string[]) => KEYMAP.filter((b) => scopes.includes(b.scope));
    for (const layer of [inScopes('global', 'list'), inScopes('filter'), inScopes('dialog')]) {
      expect(layer.length).toBeGreaterThan(2);
      const labels = layer.flatMap((b) => bindingLabel(b).split(' / '));
      expect(new Set(labels).size).toBe(labels.length);
    }
  });

  it('offers keys from the highest priority down until one consumes', () => {
    const stack = new KeyLayerStack();
    const log: string[] = [];
    stack.push(PRIORITY.base, (i) => void log.push(`base:${i}`));
    const offView = stack.push(PRIORITY.view, (i) => {
      log.push(`view:${i}`);
      return i === 'x';
    });
    const offModal = stack.push(PRIORITY.modal, (i) => {
      log.push(`modal:${i}`);
      return true;
    });
    expect(stack.dispatch('q', key())).toBe(true);
    expect(log).toEqual(['modal:q']);
    offModal();
    log.length = 0;
    stack.dispatch('x', key());
    stack.dispatch('y', key());
    expect(log).toEqual(['view:x', 'view:y', 'base:y']);
    offView();
    expect(stack.size).toBe(1);
  });
});

describe('sparklines and themes', () => {
  it('ASCII sparkline uses the ramp and holes', () => {
    expect(asciiSpark([0, 1, 2, 3, 4, 5, 6, 7], 8)).toBe('_.:-=+*#');
    expect(asciiSpark([1, null, 1], 5)).toBe('- -  ');
    expect(asciiSpark([1, 2, 3, 4], 2)).toBe('_#');
    expect(unicodeSpark([0, 7], 3)).toBe('▁█ ');
  });

  it('NO_COLOR set to anything but empty turns colour off', () => {
    expect(colorDisabled(false, { NO_COLOR: '1' })).toBe(true);
    expect(colorDisabled(false, { NO_COLOR: '' })).toBe(false);
    expect(colorDisabled(true, {})).toBe(true);
    const t = makeTheme({ noColor: true, ascii: true });
    expect(Object.values(t.styles).some((s) => s.color)).toBe(false);
    expect(JSON.stringify(t.glyphs)).toMatch(/^[\x20-\x7e]*$/);
  });
});

describe('panel data', () => {
  it('orders gates by severity, filters by id or subject', () => {
    const gates = gatesInEveryState();
    expect(gateList(gates, '').map((g) => g.state)).toEqual(['failing', 'error', 'pending', 'no data', 'warn', 'ok', 'off']);
    expect(gateList(gates, 'SATURATION').map((g) => g.id)).toEqual(['pool-saturation']);
    expect(failsInText(gates[1]!, 48_000)).toBe('fails in 5m or 2 probes');
    expect(failsInText(gate('x', 'ok'), 0)).toBe('');
  });

  it('summarises a fleet and puts trouble first', () => {
    const nodes = fleet(412, { down: 2, open: 1, degraded: 1 });
    expect(fleetSummary(nodes).map((s) => s.text).join('')).toBe('412 nodes: 409 up, 3 down, 1 open breaker, 1 degraded');
    expect(nodeList(nodes, '').slice(0, 3).map((n) => n.up)).toEqual([false, false, false]);
  });

  it('derives state changes from history when no event says', () => {
    const g = gate('g', 'failing');
    const changes = stateChanges(g, []);
    expect(changes[0]).toMatchObject({ from: 'ok', to: 'failing', display: '0.071' });
  });

  it('formats every event type in one line and merges extra lines by time', () => {
    const glyphs = makeTheme({ noColor: true, ascii: true }).glyphs;
    const evs = events(26);
    const lines = evs.map((e) => formatEvent(e, glyphs)).filter(Boolean);
    expect(lines.length).toBe(26);
    expect(formatEvent({ at: 1, type: 'poll.started', reason: 'schedule' }, glyphs)).toBeNull();
    expect(formatEvent({ at: 1, type: 'poll.done', durationMs: 5, ok: true, gates: 1, nodes: 1 }, glyphs)).toBeNull();
    const acting = [
      formatEvent({ at: 1, type: 'action.started', action: 'rollback', stageId: 'canary-10', operator: 'alice', auto: true, dryRun: false, reason: 'gate failing' }, glyphs),
      formatEvent({ at: 1, type: 'action.output', action: 'rollback', step: 'tag', stream: 'stderr', text: 'warn: \u001b[31mslow' }, glyphs),
      formatEvent({ at: 1, type: 'action.finished', action: 'rollback', stageId: 'canary-10', ok: false, durationMs: 61_000, steps: [], summary: 'step tag exit 1' }, glyphs),
      formatEvent({ at: 1, type: 'notify.delivery', outcome: 'retry', channel: 'slack', notificationId: 'n1', attempt: 2, error: 'HTTP 500' }, glyphs),
      formatEvent({ at: 1, type: 'override', stageId: 'canary-10', operator: 'bob', blockers: ['health'], fields: { manual_override: true, override_acknowledged: true, override_reason: 'known flaky probe' } }, glyphs),
    ].map((x) => x?.text);
    expect(acting).toEqual([
      'ROLLBACK of canary-10 started by alice (automatic): gate failing',
      'rollback tag: warn: slow',
      'rollback of canary-10 FAILED after 1m1s: step tag exit 1',
      'notify slack retry (attempt 2): HTTP 500',
      'OVERRIDE of canary-10 by bob past health: known flaky probe',
    ]);
    const merged = activityEntries(evs.slice(0, 2), [{ at: evs[0]!.at + 1, text: 'sent to slack', source: 'notify' }], glyphs);
    expect(merged.map((m) => m.text)).toEqual(['poll requested', 'notify: sent to slack', 'gate extraction-failure-rate pending -> failing: 0.071 (0.071 > 0.05 for 10m of 10m) ROLLBACK']);
  });

  it("a session's note (an event) reads and is coloured as the same line did as an extra line", () => {
    const glyphs = makeTheme({ noColor: true, ascii: true }).glyphs;
    const cases = [
      { topic: 'audit', level: 'error', text: 'audit write failed: EACCES' },
      { topic: 'info', level: 'warn', text: 'adopted a running rollback by bob@b1' },
      { topic: 'info', level: 'info', text: 'resumed at stage canary-10, saved by alice' },
      { topic: 'action', level: 'info', text: 'step 1 ok' },
      { topic: 'notify', level: 'info', text: 'sent to slack\u001b[31m' },
    ] as const;
    for (const c of cases) {
      const asEvent = formatEvent({ at: 5, type: 'session.note', ...c }, glyphs);
      const asLine = activityEntries([], [{ at: 5, text: c.text, source: c.topic, level: c.level }], glyphs)[0];
      expect(asEvent).toEqual(asLine);
    }
    expect(formatEvent({ at: 5, type: 'session.note', topic: 'audit', level: 'error', text: 'audit write failed: EACCES' }, glyphs)).toEqual({ at: 5, text: 'audit: audit write failed: EACCES', tok: 'error' });
    expect(formatEvent({ at: 5, type: 'session.note', topic: 'info', level: 'info', text: 'a cockpit attached (1 now)' }, glyphs)).toEqual({ at: 5, text: 'a cockpit attached (1 now)', tok: 'muted' });
  });

  it('flattens a health body into field paths', () => {
    expect(flattenBody({ a: { b: [1, { c: 'x' }] }, d: null, e: {} })).toEqual([
      ['a.b.0', '1'],
      ['a.b.1.c', 'x'],
      ['d', 'null'],
      ['e', '{}'],
    ]);
  });
});
