/**
 * Quitting a cockpit attached to a guard (ink-testing-library, through the
 * whole cockpit): q always asks; Detach is the default and leaves the guard
 * running; "Stop the guard too" is never the default, says what it costs (no
 * more auto-rollback), asks the guard and quits only once the guard said yes;
 * a refusal is shown and the cockpit stays.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ActionOutcomeView, GuardControl } from '../../src/ui-contract.js';
import { T0 } from '../../test/helpers/state-fixture.js';
import { KEYS, waitForFrame } from '../testing/render.js';
import { ALICE, cockpit, deferred, fakeActions } from './testing.js';

let open: Array<ReturnType<typeof cockpit>> = [];
afterEach(() => {
  for (const t of open) t.r.unmount();
  open = [];
});

function attached(o: { running?: typeof ALICE | null; stop?: () => Promise<ActionOutcomeView> } = {}) {
  const stops: number[] = [];
  const a = fakeActions({ running: o.running ?? null });
  const guard: GuardControl = {
    pid: 4242,
    stop: () => {
      stops.push(1);
      return o.stop ? o.stop() : Promise.resolve({ ok: true });
    },
  };
  a.guard = guard;
  const t = cockpit(a, { now: T0 }, { columns: 100, rows: 30 });
  open.push(t);
  return { t, a, stops };
}

describe('quit, attached to a guard', () => {
  it('q asks even when nothing runs; Detach is focused; Enter detaches and leaves the guard alone', async () => {
    const { t, stops } = attached();
    await t.ready();
    await t.press('q');
    expect(t.quits()).toBe(0);
    const f = t.frame();
    expect(f).toContain('QUIT?');
    expect(f).toContain('Detach: the guard (pid 4242) keeps watching: it polls, judges and rolls back on its own.');
    expect(f).toMatch(/Stop the guard too: nothing polls and nothing rolls back on its own after that \(no more\s+auto-rollback\)/);
    expect(f).toMatch(/\[ Stay \]\s+▶\[ Detach \]\s+\[ Stop the guard too \]/);
    expect(f).toContain('Enter detaches; the guard keeps watching.');
    await t.press(KEYS.enter);
    expect(t.quits()).toBe(1);
    expect(stops).toEqual([]);
  });

  it('Esc, q and Ctrl-C stay; Left then Enter (Stay) stays', async () => {
    const { t, stops } = attached();
    await t.ready();
    await t.press('q', KEYS.escape);
    expect(t.frame()).not.toContain('QUIT?');
    await t.press('q', 'q', KEYS.ctrlC);
    expect(t.frame()).toContain('QUIT?');
    await t.press(KEYS.left, KEYS.enter);
    expect(t.frame()).not.toContain('QUIT?');
    expect(t.quits()).toBe(0);
    expect(stops).toEqual([]);
  });

  it('Right, Enter stops the guard: asked once, then the cockpit quits', async () => {
    const d = deferred<ActionOutcomeView>();
    const { t, stops } = attached({ stop: () => d.promise });
    await t.ready();
    await t.press('q', KEYS.right);
    expect(t.frame()).toMatch(/▶\[ Stop the guard too \]/);
    expect(t.frame()).toContain('Enter stops the guard and quits. Esc stays.');
    await t.press(KEYS.enter);
    expect(stops).toEqual([1]);
    expect(t.frame()).toContain('Asking the guard to stop…');
    // A second Enter while the guard has not answered asks nothing more.
    await t.press(KEYS.enter);
    expect(stops).toEqual([1]);
    expect(t.quits()).toBe(0);
    d.resolve({ ok: true });
    await waitForFrame();
    expect(t.quits()).toBe(1);
  });

  it('a refused stop is shown and the cockpit stays', async () => {
    const { t, stops } = attached({ stop: async () => ({ ok: false, refused: 'bob is not one of the plan\'s operators (alice)' }) });
    await t.ready();
    await t.press('q', KEYS.right, KEYS.enter);
    await waitForFrame();
    expect(stops).toEqual([1]);
    expect(t.quits()).toBe(0);
    expect(t.frame()).toContain('the guard was not stopped: bob is not one of the plan\'s operators (alice)');
    expect(t.frame()).toContain('QUIT?');
  });

  it('while an action runs: says the guard goes on with it, and that a stop finishes it first', async () => {
    const { t, a } = attached({ running: ALICE });
    await t.ready();
    await t.press('q');
    const f = t.frame();
    expect(f).toContain('rollback by alice is running (42s). The guard goes on with it after you leave.');
    expect(f).toMatch(/Stop the guard too: it finishes the rollback and audits it, then stops\./);
    expect(f).not.toContain('processes killed');
    expect(f).toMatch(/▶\[ Detach \]/);
    // The action ends while asked: the dialog says so.
    a.runningNow = null;
    await t.press(KEYS.right);
    expect(t.frame()).toContain('rollback by alice has ended.');
  });

  it('without a guard (this process), q still quits at once when nothing runs', async () => {
    const t = cockpit(fakeActions(), { now: T0 });
    open.push(t);
    await t.ready();
    await t.press('q');
    expect(t.quits()).toBe(1);
  });
});
