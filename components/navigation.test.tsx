/** Keys, through ink-testing-library (100x24): focus, rows, detail, help, filter, freeze, and the callbacks. */
import React, { useState } from 'react';
import { Text } from 'ink';
import { render, cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineCommand, EngineState } from '../src/engine/types.js';
import type { ActionKind } from '../src/ui-contract.js';
import { CockpitApp, type CockpitAppProps } from './CockpitApp.js';
import { formatClock } from './format.js';
import { useModalLayer } from './input/KeyLayers.js';
import { KEYMAP, bindingLabel } from './keymap.js';
import { KEYS, stripAnsi, waitForFrame } from './testing/render.js';
import { T0, fleet, makeState, withGateValue } from '../test/helpers/state-fixture.js';

afterEach(() => cleanup());

function setup(props: Partial<CockpitAppProps> = {}, state: EngineState = makeState()) {
  const commands: EngineCommand[] = [];
  const actions: ActionKind[] = [];
  let quits = 0;
  let redraws = 0;
  const element = (s: EngineState, extra: Partial<CockpitAppProps> = {}) => (
    <CockpitApp
      state={s}
      utc
      env={{}}
      onCommand={(c) => commands.push(c)}
      onAction={(k) => actions.push(k)}
      onQuit={() => quits++}
      onRedraw={() => redraws++}
      {...props}
      {...extra}
    />
  );
  const r = render(element(state));
  const frame = () => stripAnsi(r.lastFrame() ?? '');
  const lines = () => frame().split('\n');
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      r.stdin.write(k);
      // Ink (7+) hands a lone Esc on only after 20 ms without a sequence following it.
      if (k === KEYS.escape) await new Promise((res) => setTimeout(res, 25));
      await waitForFrame();
    }
  };
  return {
    r,
    frame,
    lines,
    press,
    commands,
    actions,
    quits: () => quits,
    redraws: () => redraws,
    rerender: (s: EngineState, extra?: Partial<CockpitAppProps>) => r.rerender(element(s, extra)),
  };
}

const cursorLine = (lines: string[]) => lines.find((l) => l.startsWith('▶ '));

describe('focus and rows', () => {
  it('j/k and arrows move the gate cursor; Tab moves to the nodes panel', async () => {
    const t = setup();
    await waitForFrame();
    expect(cursorLine(t.lines())).toContain('extraction-failure-rate');
    await t.press('j');
    expect(cursorLine(t.lines())).toContain('pool-saturation');
    await t.press(KEYS.down);
    expect(cursorLine(t.lines())).toContain('p99-latency');
    await t.press('k', KEYS.up);
    expect(cursorLine(t.lines())).toContain('extraction-failure-rate');
    await t.press(KEYS.tab);
    expect(cursorLine(t.lines())).toMatch(/✗ web-4\s+down/);
    await t.press('j');
    expect(cursorLine(t.lines())).toMatch(/● web-1\s+up/);
    await t.press(KEYS.shiftTab);
    expect(cursorLine(t.lines())).toContain('extraction-failure-rate');
    await t.press(KEYS.right, KEYS.right);
    // alerts focused: no row cursor
    expect(cursorLine(t.lines())).toBeUndefined();
  });

  it('scrolls a long list to keep the cursor visible (G to the last gate)', async () => {
    const big = makeState({ nodes: fleet(300) });
    const t = setup({}, big);
    await waitForFrame();
    await t.press(KEYS.tab, 'G');
    expect(cursorLine(t.lines())).toMatch(/web-300\s/);
    expect(t.frame()).toMatch(/\d+-300\/300/);
    await t.press('g');
    expect(cursorLine(t.lines())).toMatch(/web-1\s/);
  });
});

describe('detail views', () => {
  it('Enter opens the gate: subject, why, thresholds and samples with time, value and state; Esc goes back', async () => {
    const state = makeState();
    const t = setup({}, state);
    await waitForFrame();
    await t.press(KEYS.enter);
    const text = t.frame();
    const g = state.gates[0]!;
    expect(text).toContain(`GATE ${g.id}`);
    expect(text).toContain('subject  sum(rate(dhash_extraction_failure_rate_total');
    expect(text).toContain('why      0.071 > 0.05 for 10m of 10m');
    expect(text).toContain('threshold > 0.05 | warn > 0.03');
    expect(text).toContain('ROLLBACK');
    expect(text).toContain('SAMPLES 40, newest first');
    const newest = g.history[g.history.length - 1]!;
    const older = g.history[g.history.length - 2]!;
    expect(text).toMatch(new RegExp(`${formatClock(newest.at, true)}\\s+0\\.071\\s+✗ failing`));
    expect(text).toMatch(new RegExp(`${formatClock(older.at, true)}\\s+${older.value}\\s+✓ ok`));
    const change = state.events.find((e) => e.type === 'gate.changed')!;
    expect(text).toContain(`changed  ${formatClock(change.at, true)} pending → failing 0.071 (0.071 > 0.05 for 10m of 10m)`);
    await t.press(KEYS.escape);
    expect(t.frame()).toContain('GATES 7');
    expect(t.frame()).not.toContain('SAMPLES');
  });

  it('shows the node breakdown (parts) of a health gate', async () => {
    const state = makeState();
    state.gates[0] = { ...state.gates[0]!, kind: 'health', parts: [{ name: 'web-4', value: false, note: 'HTTP 503 DB_POOL_EXHAUSTED' }, { name: 'web-1', value: true }] };
    const t = setup({}, state);
    await waitForFrame();
    await t.press(KEYS.enter);
    expect(t.frame()).toContain('PARTS 2');
    expect(t.frame()).toMatch(/web-4\s+false\s+HTTP 503 DB_POOL_EXHAUSTED/);
  });

  it('Enter on a node shows its probe and health body fields', async () => {
    const state = makeState();
    state.nodes[3] = { ...state.nodes[3]!, lastBody: { status: 'degraded', database_pool: { state: { saturation: 0.93 } } } };
    const t = setup({}, state);
    await waitForFrame();
    await t.press(KEYS.tab, KEYS.enter);
    const text = t.frame();
    expect(text).toContain('NODE web-4');
    expect(text).toContain('HTTP 503');
    expect(text).toContain('DB_POOL_EXHAUSTED');
    expect(text).toMatch(/database_pool\.state\.saturation\s+0\.93/);
    await t.press(KEYS.escape);
    expect(t.frame()).toContain('NODES');
  });
});

describe('help, filter, freeze', () => {
  it('? lists every binding of the keymap', async () => {
    const t = setup();
    await waitForFrame();
    await t.press('?');
    expect(t.frame()).toContain('KEYS');
    // What does not fit scrolls (j), whole: the text seen down to the last row.
    let text = t.frame();
    for (let i = 0; i < 60 && !/(\d+)-(\d+)\/\2 /.test(t.frame()) && /j\/k scroll/.test(t.frame()); i++) {
      await t.press('j');
      text += '\n' + t.frame();
    }
    for (const b of KEYMAP) {
      expect(text, bindingLabel(b)).toContain(bindingLabel(b));
      expect(text, b.description).toContain(b.description.slice(0, 12));
    }
    await t.press('?');
    expect(t.frame()).not.toContain('KEYS');
  });

  it('/ filters nodes by substring; Enter keeps it, Esc clears it', async () => {
    const t = setup({}, makeState({ nodes: fleet(40) }));
    await waitForFrame();
    await t.press(KEYS.tab, '/');
    expect(t.frame()).toContain('filter nodes: /_');
    await t.press('w', 'e', 'b', '-', '3', '7');
    expect(t.frame()).toContain('filter "web-37" 1/40');
    expect(t.frame()).toMatch(/web-37\s+up/);
    expect(t.frame()).not.toMatch(/web-1\s/);
    await t.press(KEYS.backspace);
    expect(t.frame()).toContain('filter "web-3" 11/40');
    await t.press('7', KEYS.enter);
    expect(t.frame()).not.toContain('filter nodes:');
    expect(t.frame()).toContain('filter "web-37" 1/40');
    // q while the filter is typed is text, not quit; after Enter it is a key again.
    await t.press(KEYS.escape);
    expect(t.frame()).not.toContain('filter "');
    expect(t.frame()).toMatch(/web-1\s/);
  });

  it('typed filter text does not trigger keys', async () => {
    const t = setup();
    await waitForFrame();
    await t.press(KEYS.tab, '/', 'q', 'r', 'p');
    expect(t.quits()).toBe(0);
    expect(t.commands).toEqual([]);
    expect(t.actions).toEqual([]);
    expect(t.frame()).toContain('filter nodes: /qrp_');
  });

  it('Z freezes the display while states keep arriving; Z again shows the newest', async () => {
    const state = makeState();
    const t = setup({}, state);
    await waitForFrame();
    await t.press('Z');
    expect(t.frame()).toContain(`FROZEN ${formatClock(T0, true)}`);
    t.rerender(withGateValue(state, 'extraction-failure-rate', 0.099));
    await waitForFrame();
    // The panels stay as they were; the status line stays live (a coming rollback is never hidden).
    const row = t.frame().split('\n').find((l) => /failing\s+extraction-failure-rate/.test(l))!;
    expect(row).toContain('0.071');
    expect(row).not.toContain('0.099');
    expect(t.frame().split('\n')[0]).toContain('AUTO-ROLLBACK now: extraction-failure-rate 0.099 > 0.05');
    await t.press('Z');
    expect(t.frame()).not.toContain('FROZEN');
    expect(t.frame()).toContain('0.099');
  });
});

describe('ASCII mode in every view', () => {
  it('detail, node detail, help and the filter field stay ASCII', async () => {
    const state = makeState();
    state.nodes[3] = { ...state.nodes[3]!, lastBody: { status: 'degraded' } };
    const t = setup({ ascii: true, extras: { action: { kind: 'rollback', operator: 'a', startedAt: T0 } } }, state);
    await waitForFrame();
    const views: string[] = [t.frame()];
    await t.press(KEYS.enter);
    views.push(t.frame());
    await t.press(KEYS.escape, 'Z', '?');
    views.push(t.frame());
    await t.press(KEYS.escape, KEYS.tab, KEYS.enter);
    views.push(t.frame());
    await t.press(KEYS.escape, '/', 'w');
    views.push(t.frame());
    expect(views[1]).toContain('SAMPLES');
    expect(views[2]).toContain('KEYS');
    expect(views[3]).toContain('NODE web-4');
    expect(views[4]).toContain('filter nodes: /w_');
    for (const v of views) expect(v).toMatch(/^[\x20-\x7e\n]*$/);
  });
});

describe('callbacks', () => {
  it('r asks the engine to poll, q asks to quit, Ctrl-L redraws', async () => {
    const t = setup();
    await waitForFrame();
    await t.press('r');
    expect(t.commands).toEqual([{ type: 'refresh' }]);
    expect(t.frame()).toContain('refresh requested');
    const before = t.r.frames.length;
    await t.press(KEYS.ctrlL);
    expect(t.redraws()).toBe(1);
    expect(t.r.frames.slice(before).some((f) => f.startsWith('\u001b[2J\u001b[H'))).toBe(true);
    await t.press('q');
    expect(t.quits()).toBe(1);
    await t.press(KEYS.ctrlC);
    expect(t.quits()).toBe(2);
  });

  it('p and b call onAction, except read-only where they only say so', async () => {
    const t = setup();
    await waitForFrame();
    await t.press('p', 'b');
    expect(t.actions).toEqual(['promote', 'rollback']);
    cleanup();
    const ro = setup({ readonly: true });
    await waitForFrame();
    await ro.press('p');
    expect(ro.actions).toEqual([]);
    expect(ro.frame()).toContain('read-only (started with --readonly): p (promote to the next stage) is off');
    expect(ro.frame()).toContain(' READ-ONLY ');
  });

  it('a modal layer owns the keyboard while open (the dialogs use it)', async () => {
    const seen: string[] = [];
    function Dialog({ onClose }: { onClose: () => void }) {
      useModalLayer((input, key) => {
        if (key.escape) onClose();
        else seen.push(input);
      });
      return <Text>CONFIRM ROLLBACK? type a reason</Text>;
    }
    let quits = 0;
    function Host({ state }: { state: EngineState }) {
      const [open, setOpen] = useState(true);
      return <CockpitApp state={state} env={{}} onQuit={() => quits++} renderOverlay={() => (open ? <Dialog onClose={() => setOpen(false)} /> : null)} />;
    }
    const r = render(<Host state={makeState()} />);
    await waitForFrame();
    expect(r.lastFrame()).toContain('CONFIRM ROLLBACK?');
    for (const k of ['q', 'j', '?']) {
      r.stdin.write(k);
      await waitForFrame();
    }
    expect(seen).toEqual(['q', 'j', '?']);
    expect(quits).toBe(0);
    expect(r.lastFrame()).not.toContain('KEYS');
    r.stdin.write(KEYS.escape);
    await new Promise((res) => setTimeout(res, 25));
    await waitForFrame();
    expect(r.lastFrame()).not.toContain('CONFIRM');
    r.stdin.write('q');
    await waitForFrame();
    expect(quits).toBe(1);
  });
});
