/**
 * Test rendering at a chosen terminal size. ink-testing-library's stdout is
 * fixed at 100 columns with no rows, so size tests use this one: the same
 * debug-mode Ink render (every frame written whole), with columns and rows
 * that can change (emitting 'resize' like a TTY).
 */
import { EventEmitter } from 'node:events';
import type { ReactElement } from 'react';
import { render, type Instance } from 'ink';

export class SizedStdout extends EventEmitter {
  frames: string[] = [];
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write = (frame: string): boolean => {
    this.frames.push(frame);
    return true;
  };
  lastFrame = (): string | undefined => this.frames[this.frames.length - 1];
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.emit('resize');
  }
}

export class TestStdin extends EventEmitter {
  isTTY = true;
  private data: string | null = null;
  write = (data: string): void => {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  };
  read = (): string | null => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

export interface SizedRender {
  stdout: SizedStdout;
  stdin: TestStdin;
  lastFrame(): string;
  rerender(node: ReactElement): void;
  unmount(): void;
  /** Resizes the fake terminal and waits for the frame. */
  resize(columns: number, rows: number): Promise<void>;
  /** Types keys and waits for the frame. */
  press(...keys: string[]): Promise<void>;
}

/** Lets React commit and Ink write (React 19 schedules updates from input in a microtask; Esc waits a macrotask). */
export async function waitForFrame(): Promise<void> {
  await new Promise((r) => setTimeout(r, 0));
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, 0));
}

export function renderSized(node: ReactElement, size: { columns: number; rows: number }): SizedRender {
  const stdout = new SizedStdout(size.columns, size.rows);
  const stdin = new TestStdin();
  const stderr = new SizedStdout(size.columns, size.rows);
  const instance: Instance = render(node, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  return {
    stdout,
    stdin,
    lastFrame: () => stdout.lastFrame() ?? '',
    rerender: (n) => instance.rerender(n),
    unmount: () => {
      instance.unmount();
      instance.cleanup();
    },
    resize: async (columns, rows) => {
      stdout.resize(columns, rows);
      await waitForFrame();
    },
    press: async (...keys) => {
      for (const k of keys) {
        stdin.write(k);
        // Ink (7+) hands a lone Esc on only after 20 ms without a sequence following it.
        if (k === KEYS.escape) await new Promise((r) => setTimeout(r, 25));
        await waitForFrame();
      }
    },
  };
}

export const KEYS = {
  tab: '\t',
  shiftTab: '\u001b[Z',
  up: '\u001b[A',
  down: '\u001b[B',
  right: '\u001b[C',
  left: '\u001b[D',
  enter: '\r',
  escape: '\u001b',
  backspace: '\u007f',
  ctrlL: '\u000c',
  ctrlC: '\u0003',
} as const;

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;
export const stripAnsi = (s: string): string => s.replace(ANSI, '');
