/**
 * Mounts the cockpit on the terminal: alternate screen, hidden cursor,
 * incremental rendering at a bounded frame rate, and the screen restored on
 * every way out (unmount, process exit, SIGTERM/SIGINT/SIGHUP, an uncaught
 * exception — before Node prints it).
 */
import React from 'react';
import { render } from 'ink';
import type { CockpitExtras, CockpitHandle, CockpitOptions } from '../src/ui-contract.js';
import { LiveCockpit } from './LiveCockpit.js';
import { cellOutputStream } from './cell-output.js';
import { compactingStream } from './terminal-writes.js';
import { colorDisabled } from './theme.js';

export const ENTER_ALT_SCREEN = '\u001b[?1049h';
export const LEAVE_ALT_SCREEN = '\u001b[?1049l';
export const HIDE_CURSOR = '\u001b[?25l';
export const SHOW_CURSOR = '\u001b[?25h';
export const HOME = '\u001b[H';

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

export function renderCockpit(opts: CockpitOptions): CockpitHandle {
  const stdout = opts.stdout ?? process.stdout;
  const stdin = opts.stdin ?? process.stdin;
  const stderr = opts.stderr ?? process.stderr;
  const alt = opts.alternateScreen ?? stdout.isTTY === true;

  let extras: CockpitExtras = typeof opts.extras === 'object' && opts.extras ? opts.extras : {};
  const getExtras = typeof opts.extras === 'function' ? opts.extras : () => extras;
  const local = new Set<() => void>();
  const subscribe = (listener: () => void) => {
    local.add(listener);
    const off = opts.subscribe(listener);
    return () => {
      local.delete(listener);
      off();
    };
  };
  const poke = () => {
    for (const l of [...local]) l();
  };

  let restored = !alt;
  const restore = () => {
    if (restored) return;
    restored = true;
    try {
      stdout.write(SHOW_CURSOR + LEAVE_ALT_SCREEN);
    } catch {
      // The terminal is gone; nothing left to restore.
    }
  };

  let unmounted = false;
  // eslint-disable-next-line prefer-const
  let instance: ReturnType<typeof render> | undefined;
  const detach = () => {
    process.off('exit', restore);
    process.off('uncaughtExceptionMonitor', restore);
    for (const s of SIGNALS) process.off(s, onSignal);
  };
  const unmount = () => {
    if (unmounted) return;
    unmounted = true;
    try {
      instance?.unmount();
    } finally {
      restore();
      detach();
    }
  };
  function onSignal(signal: NodeJS.Signals) {
    unmount();
    // With no other listener left, end the way the signal would have.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  }

  // The frame starts at the top left of the alternate screen.
  if (alt) stdout.write(ENTER_ALT_SCREEN + HOME + HIDE_CURSOR);
  process.on('exit', restore);
  process.on('uncaughtExceptionMonitor', restore);
  for (const s of SIGNALS) process.on(s, onSignal);

  try {
    instance = render(
      <LiveCockpit
        getState={opts.getState}
        getExtras={getExtras}
        subscribe={subscribe}
        onCommand={opts.onCommand}
        onAction={opts.onAction}
        onQuit={opts.onQuit}
        onRedraw={opts.onRedraw}
        readonly={opts.readonly}
        noColor={colorDisabled(opts.noColor)}
        ascii={opts.ascii}
        now={opts.now}
        tickMs={opts.tickMs}
        throttleMs={Math.ceil(1000 / (opts.maxFps ?? 10))}
        repaintOnResize={alt}
        actions={opts.actions}
        extraKeys={opts.extraKeys}
        intro={opts.intro}
      />,
      {
        // Each frame as the cells that changed (cell-output.ts); Ink's other writes said in fewer bytes (terminal-writes.ts).
        stdout: cellOutputStream(compactingStream(stdout)),
        stdin,
        stderr,
        // Live frames wherever the cockpit is mounted, CI or not: it only starts where someone looks.
        interactive: true,
        incrementalRendering: true,
        maxFps: opts.maxFps ?? 10,
        exitOnCtrlC: false,
        patchConsole: false,
      },
    );
  } catch (err) {
    unmounted = true;
    restore();
    detach();
    throw err;
  }
  const exited = instance.waitUntilExit().then(
    () => {
      unmounted = true;
      restore();
      detach();
    },
    (err: unknown) => {
      unmounted = true;
      restore();
      detach();
      throw err;
    },
  );

  return {
    unmount,
    waitUntilExit: () => exited,
    update: poke,
    setExtras: (next) => {
      extras = next;
      poke();
    },
  };
}
