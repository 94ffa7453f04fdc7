/**
 * Rewind while live ([ ]): the panels show a past poll as it was, under a
 * banner that keeps the live rollout in view, while new states keep
 * arriving; keys that act are refused there; Esc returns to live.
 */
import React from 'react';
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineState } from '../src/engine/types.js';
import type { ActionKind } from '../src/ui-contract.js';
import { CockpitApp } from './CockpitApp.js';
import { formatClock } from './format.js';
import { buildViewKeys } from './extra-keys.js';
import { KEYS, renderSized, stripAnsi, waitForFrame } from './testing/render.js';
import { T0, makeState, withGateValue } from '../test/helpers/state-fixture.js';

afterEach(() => cleanup());

const SEC = 1000;
const GATE = 'extraction-failure-rate';
/** The state after poll i (30 s apart), the gate's value marking which poll it is. */
const poll = (i: number, value = 0.011 + i / 1000): EngineState => withGateValue(makeState({}, T0 + i * 30 * SEC), GATE, value);

function setup() {
  const actions: ActionKind[] = [];
  const element = (s: EngineState) => <CockpitApp state={s} utc env={{}} onCommand={() => undefined} onAction={(k) => actions.push(k)} onQuit={() => undefined} />;
  const r = render(element(poll(0)));
  const frame = () => stripAnsi(r.lastFrame() ?? '');
  const lines = () => frame().split('\n');
  return {
    actions,
    frame,
    lines,
    gateRow: () => lines().find((l) => new RegExp(`failing\\s+${GATE}\\s`).test(l)) ?? '',
    next: async (s: EngineState) => {
      r.rerender(element(s));
      await waitForFrame();
    },
    press: async (...keys: string[]) => {
      for (const k of keys) {
        r.stdin.write(k);
        if (k === KEYS.escape) await new Promise((res) => setTimeout(res, 25));
        await waitForFrame();
      }
    },
  };
}

describe('rewind while live', () => {
  it('[ and ] step through past polls with every panel as it was; the banner keeps the live state; Esc is live again', async () => {
    const t = setup();
    await waitForFrame();
    for (const i of [1, 2]) await t.next(poll(i));
    // Live: the gate breaches, the guard counts down.
    await t.next(poll(3, 0.099));
    expect(t.gateRow()).toContain('0.099');

    await t.press('[');
    expect(t.gateRow()).toContain('0.013');
    expect(t.gateRow()).not.toContain('0.099');
    const at2 = formatClock(T0 + 2 * 30 * SEC, true);
    expect(t.lines()[1]).toMatch(new RegExp(`^ VIEWING ${at2} \\(30s ago\\) — live: AUTO-ROLLBACK now`));
    // Room left on the line: what happened since, which poll of how many kept.
    expect(t.lines()[1]).toMatch(/ │ \d+ events? since │ poll -1 of 4 kept/);
    // The status line stays live.
    expect(t.lines()[0]).toContain('AUTO-ROLLBACK now: extraction-failure-rate 0.099 > 0.05');
    expect(t.frame()).toContain('[:earlier ]:later Esc:live');

    await t.press('[', '[');
    expect(t.gateRow()).toContain('0.011');
    await t.press('[');
    expect(t.gateRow()).toContain('0.011');
    expect(t.frame()).toContain('no earlier poll kept (the last 120 polls are kept)');

    // Polling goes on underneath: a new poll does not move the screen, and is kept for later.
    await t.next(poll(4, 0.12));
    expect(t.gateRow()).toContain('0.011');
    expect(t.lines()[0]).toContain('AUTO-ROLLBACK now: extraction-failure-rate 0.12 > 0.05');
    expect(t.lines()[1]).toContain('(2m ago)');

    await t.press(']');
    expect(t.gateRow()).toContain('0.012');
    await t.press(KEYS.escape);
    expect(t.gateRow()).toContain('0.12');
    expect(t.frame()).not.toContain('VIEWING');

    // ] from the poll before the newest is live again (the newest poll is the live one).
    await t.press('[');
    expect(t.gateRow()).toContain('0.099');
    await t.press(']');
    expect(t.gateRow()).toContain('0.12');
    expect(t.frame()).not.toContain('VIEWING');
    await t.press(']');
    expect(t.frame()).toContain('already live');
  });

  it('keys that act are refused while the past is shown, and work again live', async () => {
    const t = setup();
    await waitForFrame();
    await t.next(poll(1));
    await t.press('[');
    expect(t.frame()).toMatch(/\[:earlier \]:later Esc:live \? *:help q:quit r:refresh p\/b\/s:live only Z:freeze/);
    await t.press('p');
    expect(t.actions).toEqual([]);
    expect(t.frame()).toContain(`p promote refused: this screen shows ${formatClock(T0, true)}, the past; Esc returns to live`);
    await t.press('b', 's');
    expect(t.actions).toEqual([]);
    expect(t.frame()).toContain('s sign off refused');
    // A freeze (Z) shows the past too: the same refusal.
    await t.press(KEYS.escape, 'Z', 'b');
    expect(t.actions).toEqual([]);
    expect(t.frame()).toContain('b rollback refused');
    await t.press(KEYS.escape, 'p');
    expect(t.actions).toEqual(['promote']);
  });

  it('Esc closes a detail opened on a past poll first, then returns to live', async () => {
    const t = setup();
    await waitForFrame();
    await t.next(poll(1));
    await t.press('[', KEYS.enter);
    expect(t.frame()).toContain('SAMPLES');
    expect(t.lines()[1]).toContain('VIEWING');
    await t.press(KEYS.escape);
    expect(t.frame()).not.toContain('SAMPLES');
    expect(t.gateRow()).toContain('0.011');
    await t.press(KEYS.escape);
    expect(t.gateRow()).toContain('0.012');
    expect(t.frame()).not.toContain('VIEWING');
  });

  it('a view that binds [ or ] is refused when it is built (they are the cockpit\'s)', () => {
    expect(() => buildViewKeys([{ keys: ['['], label: 'back 1 min', run: () => undefined }])).toThrow(/key conflict in the replay view: \[ is "back 1 min" \(replay\) and "step back one poll/);
    expect(() => buildViewKeys([{ keys: ['-'], label: 'back 1 min', run: () => undefined }, { keys: ['+'], label: 'forward 1 min', run: () => undefined }])).not.toThrow();
  });

  it('the banner and the live status stay on the help and the too-small screens', async () => {
    const element = (st: EngineState) => <CockpitApp state={st} utc env={{}} onCommand={() => undefined} onQuit={() => undefined} />;
    const r = renderSized(element(poll(0)), { columns: 100, rows: 30 });
    await waitForFrame();
    r.rerender(element(poll(1, 0.099)));
    await waitForFrame();
    await r.press('[', '?');
    let lines = stripAnsi(r.lastFrame()).split('\n');
    expect(lines[0]).toContain('AUTO-ROLLBACK now: extraction-failure-rate 0.099 > 0.05');
    expect(lines[1]).toMatch(/^ VIEWING \d\d:\d\d:\d\d \(30s ago\) — live: AUTO-ROLLBACK now/);
    expect(lines.join('\n')).toContain('KEYS');
    await r.resize(50, 12);
    lines = stripAnsi(r.lastFrame()).split('\n');
    // Below the minimum width the banner is cut at its end; the status line above says the live state.
    expect(lines[0]).toContain('AUTO-ROLLBACK now');
    expect(lines[1]).toMatch(/^ VIEWING \d\d:\d\d:\d\d \(30s ago\) — /);
    expect(lines.join('\n')).toContain('Terminal too small');
    r.unmount();
  });
});
