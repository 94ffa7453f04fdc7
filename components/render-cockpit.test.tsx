/**
 * renderCockpit on a fake TTY: alternate screen and cursor in and out on
 * every exit path, state pulled when the engine says it changed, extras.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineState } from '../src/engine/types.js';
import type { CockpitHandle } from '../src/ui-contract.js';
import { ENTER_ALT_SCREEN, HIDE_CURSOR, HOME, LEAVE_ALT_SCREEN, SHOW_CURSOR, renderCockpit } from './render-cockpit.js';
import { stripAnsi } from './testing/render.js';
import { Screen } from './testing/screen.js';
import { makeState, withGateValue } from '../test/helpers/state-fixture.js';

class Tty extends EventEmitter {
  isTTY = true;
  columns = 100;
  rows = 30;
  out = '';
  write(chunk: string, encoding?: unknown, cb?: () => void): boolean {
    this.out += chunk;
    const done = typeof encoding === 'function' ? (encoding as () => void) : cb;
    done?.();
    return true;
  }
}

class Stdin extends EventEmitter {
  isTTY = true;
  data: string | null = null;
  setRawMode() {}
  setEncoding() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read() {
    const d = this.data;
    this.data = null;
    return d;
  }
  press(s: string) {
    this.data = s;
    this.emit('readable');
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let handles: CockpitHandle[] = [];
afterEach(async () => {
  for (const h of handles) h.unmount();
  handles = [];
});

function start(over: { alternateScreen?: boolean } = {}) {
  const tty = new Tty();
  const stdin = new Stdin();
  let state: EngineState = makeState();
  const listeners = new Set<() => void>();
  let pulls = 0;
  const quits: number[] = [];
  const handle = renderCockpit({
    getState: () => {
      pulls++;
      return state;
    },
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    onCommand: () => {},
    onQuit: () => quits.push(1),
    readonly: false,
    noColor: false,
    ascii: false,
    tickMs: 0,
    stdout: tty as unknown as NodeJS.WriteStream,
    stderr: tty as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    ...over,
  });
  handles.push(handle);
  return {
    tty,
    stdin,
    handle,
    quits,
    pulls: () => pulls,
    listeners,
    publish(next: EngineState) {
      state = next;
      for (const l of listeners) l();
    },
  };
}

describe('renderCockpit', () => {
  it('enters the alternate screen with the cursor hidden and restores both on unmount', async () => {
    const c = start();
    expect(c.tty.out.startsWith(ENTER_ALT_SCREEN + HOME + HIDE_CURSOR)).toBe(true);
    c.handle.unmount();
    await c.handle.waitUntilExit();
    expect(c.tty.out.endsWith(SHOW_CURSOR + LEAVE_ALT_SCREEN)).toBe(true);
    expect(stripAnsi(c.tty.out)).toContain('2/4 canary-10 BLOCKED');
    // A second unmount writes nothing more.
    const len = c.tty.out.length;
    c.handle.unmount();
    expect(c.tty.out.length).toBe(len);
  });

  it('pulls the state when the engine says it changed (throttled) and unsubscribes on exit', async () => {
    const c = start();
    await sleep(150);
    const before = c.pulls();
    c.publish(withGateValue(makeState(), 'extraction-failure-rate', 0.0987));
    c.publish(withGateValue(makeState(), 'extraction-failure-rate', 0.0988));
    c.publish(withGateValue(makeState(), 'extraction-failure-rate', 0.0989));
    await sleep(250);
    expect(c.pulls() - before).toBe(1);
    // Ink redraws only the cells that changed: read the screen, not the bytes.
    const screen = new Screen(c.tty.columns, c.tty.rows);
    screen.write(c.tty.out);
    expect(screen.lines().join('\n')).toContain('0.0989');
    c.handle.unmount();
    await c.handle.waitUntilExit();
    expect(c.listeners.size).toBe(0);
  });

  it('takes extras and re-renders on setExtras', async () => {
    const c = start();
    c.handle.setExtras({ action: { kind: 'promote', operator: 'carol', startedAt: makeState().now, lastLine: 'step 1/3 ok' } });
    await sleep(250);
    // Ink redraws only the cells that changed: read the screen, not the bytes.
    const screen = new Screen(c.tty.columns, c.tty.rows);
    screen.write(c.tty.out);
    const shown = screen.lines().join('\n');
    c.handle.unmount();
    await c.handle.waitUntilExit();
    // A failing rollback gate while the promote runs: the guard would refuse its rollback, and the line says so.
    expect(shown).toMatch(/PROMOTE running \S+ │ ROLLBACK DUE now/);
    expect(shown).not.toContain('AUTO-ROLLBACK now');
    expect(shown).toContain('PROMOTING canary-10 → canary-50');
  });

  it('routes keys to the callbacks (q → onQuit)', async () => {
    const c = start();
    await sleep(50);
    c.stdin.press('q');
    await sleep(50);
    expect(c.quits).toEqual([1]);
  });

  it('restores the terminal on SIGTERM, process exit and an uncaught exception', async () => {
    // SIGTERM: with another listener present the process is left to it.
    const keep = () => {};
    process.on('SIGTERM', keep);
    try {
      const a = start();
      process.emit('SIGTERM', 'SIGTERM');
      expect(a.tty.out.endsWith(SHOW_CURSOR + LEAVE_ALT_SCREEN)).toBe(true);
      await a.handle.waitUntilExit();
    } finally {
      process.off('SIGTERM', keep);
    }
    const b = start();
    const exitListeners = process.listeners('exit');
    (exitListeners[exitListeners.length - 1] as (code: number) => void)(0);
    expect(b.tty.out.endsWith(SHOW_CURSOR + LEAVE_ALT_SCREEN)).toBe(true);
    b.handle.unmount();

    const monitors = process.listenerCount('uncaughtExceptionMonitor');
    const c = start();
    expect(process.listenerCount('uncaughtExceptionMonitor')).toBe(monitors + 1);
    (process.emit as (event: string, ...args: unknown[]) => boolean)('uncaughtExceptionMonitor', new Error('boom'), 'uncaughtException');
    expect(c.tty.out.endsWith(SHOW_CURSOR + LEAVE_ALT_SCREEN)).toBe(true);
    c.handle.unmount();
    await c.handle.waitUntilExit();
    expect(process.listenerCount('uncaughtExceptionMonitor')).toBe(monitors);
  });

  it('leaves the screen alone when told not to use the alternate screen', async () => {
    const c = start({ alternateScreen: false });
    c.handle.unmount();
    await c.handle.waitUntilExit();
    expect(c.tty.out).not.toContain(ENTER_ALT_SCREEN);
    expect(c.tty.out).not.toContain(LEAVE_ALT_SCREEN);
  });
});
