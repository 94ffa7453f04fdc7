/**
 * What a person sees: every byte renderCockpit writes goes through a terminal
 * emulator, and the screen must equal the frame the cockpit meant to draw —
 * after updates, resizes, keys.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineState } from '../src/engine/types.js';
import type { CockpitHandle } from '../src/ui-contract.js';
import { settle, startCockpitOnTty } from './testing/tty.js';

let mods: {
  renderCockpit: typeof import('./render-cockpit.js').renderCockpit;
  expectedScreen: typeof import('./testing/expected-frame.js').expectedScreen;
  fixture: typeof import('../test/helpers/state-fixture.js');
};

beforeAll(async () => {
  const [r, e, f] = await Promise.all([import('./render-cockpit.js'), import('./testing/expected-frame.js'), import('../test/helpers/state-fixture.js')]);
  mods = { renderCockpit: r.renderCockpit, expectedScreen: e.expectedScreen, fixture: f };
});

const handles: CockpitHandle[] = [];
afterAll(() => {
  for (const h of handles) h.unmount();
});

function start(columns: number, rows: number, state0: EngineState) {
  const t = startCockpitOnTty(mods.renderCockpit, columns, rows, state0);
  handles.push(t.handle);
  return {
    ...t,
    async publish(next: EngineState) {
      t.publish(next);
      await settle(t.tty, 150);
    },
  };
}

describe('the screen shows exactly the frame', () => {
  it('after value changes, new events and a node going down (80x24 and 160x50)', async () => {
    for (const [c, r] of [
      [80, 24],
      [160, 50],
    ] as const) {
      const { fixture, expectedScreen } = mods;
      const t = start(c, r, fixture.makeFullState());
      await settle(t.tty, 150);
      expect(t.tty.screen!.lines()).toEqual(await expectedScreen(t.state(), { columns: c, rows: r }));
      let s = fixture.withGateValue(t.state(), 'error-budget-burn', 0.0444);
      await t.publish(s);
      s = { ...s, events: [...s.events.slice(1), { at: s.now, type: 'node.down', node: 'web-7', reason: 'timeout' }] };
      await t.publish(s);
      s = { ...s, nodes: s.nodes.map((n) => (n.name === 'web-7' ? { ...n, up: false, consecutiveFailures: 1 } : n)) };
      await t.publish(s);
      expect(t.tty.screen!.lines()).toEqual(await expectedScreen(s, { columns: c, rows: r }));
      expect(t.tty.screen!.scrolled).toBe(0);
      t.handle.unmount();
    }
  });

  it('after resizes down, below the minimum and back up', async () => {
    const { fixture, expectedScreen } = mods;
    const t = start(160, 50, fixture.makeFullState());
    await settle(t.tty, 150);
    for (const [c, r] of [
      [80, 24],
      [50, 12],
      [120, 40],
      [200, 60],
    ] as const) {
      t.tty.resize(c, r);
      await settle(t.tty, 400);
      expect(t.tty.screen!.lines(), `${c}x${r}`).toEqual(await expectedScreen(t.state(), { columns: c, rows: r }));
    }
    t.handle.unmount();
  });

  it('after keys that swap the whole body (detail, help) and back', async () => {
    const { fixture, expectedScreen } = mods;
    const t = start(100, 30, fixture.makeState());
    await settle(t.tty, 150);
    t.stdin.press('?');
    await settle(t.tty, 400);
    expect(t.tty.screen!.lines().join('\n')).toContain('KEYS');
    t.stdin.press('?');
    await settle(t.tty, 400);
    expect(t.tty.screen!.lines()).toEqual(await expectedScreen(t.state(), { columns: 100, rows: 30 }));
    t.handle.unmount();
  });
});
