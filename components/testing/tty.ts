/** A fake TTY pair for rendering the real cockpit: counts bytes, can mirror into a Screen, resizes like a terminal. */
import { EventEmitter } from 'node:events';
import type { EngineState } from '../../src/engine/types.js';
import type { CockpitHandle, CockpitOptions } from '../../src/ui-contract.js';
import { Screen } from './screen.js';

export class FakeTty extends EventEmitter {
  readonly isTTY = true;
  bytes = 0;
  chunks: string[] = [];
  lastWriteAt = 0;
  screen: Screen | undefined;
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write(chunk: string | Uint8Array, encoding?: unknown, cb?: () => void): boolean {
    const s = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    this.bytes += Buffer.byteLength(s, 'utf8');
    this.chunks.push(s);
    this.lastWriteAt = Date.now();
    this.screen?.write(s);
    const done = typeof encoding === 'function' ? (encoding as () => void) : cb;
    done?.();
    return true;
  }
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.screen?.resize(columns, rows);
    this.emit('resize');
  }
}

export class FakeStdin extends EventEmitter {
  readonly isTTY = true;
  private data: string | null = null;
  setRawMode(): this {
    return this;
  }
  setEncoding(): this {
    return this;
  }
  read(): string | null {
    const d = this.data;
    this.data = null;
    return d;
  }
  resume(): this {
    return this;
  }
  pause(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  press(s: string): void {
    this.data = s;
    this.emit('readable');
  }
}

/** Resolves once nothing was written for `quietMs` (at most `maxMs`). */
export async function settle(tty: FakeTty, quietMs = 300, maxMs = 3000): Promise<void> {
  const start = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 25));
    const quiet = Date.now() - Math.max(tty.lastWriteAt, start);
    if (quiet >= quietMs || Date.now() - start > maxMs) return;
  }
}

export interface CockpitOnTty {
  tty: FakeTty & { screen: Screen };
  stdin: FakeStdin;
  handle: CockpitHandle;
  /** The state the cockpit pulls now. */
  state(): EngineState;
  /** Makes `next` the engine's state and tells the cockpit it changed. */
  publish(next: EngineState): void;
}

/**
 * The real cockpit on a FakeTty of `columns` x `rows` mirrored into a
 * Screen: alternate screen, no clock ticks, the engine's clock the state's.
 * renderCockpit is passed in because the caller must load Ink with a
 * terminal's environment (not CI's) before anything imports it.
 */
export function startCockpitOnTty(renderCockpit: (opts: CockpitOptions) => CockpitHandle, columns: number, rows: number, state0: EngineState): CockpitOnTty {
  const tty = new FakeTty(columns, rows) as FakeTty & { screen: Screen };
  tty.screen = new Screen(columns, rows);
  const stdin = new FakeStdin();
  let state = state0;
  const listeners = new Set<() => void>();
  const handle = renderCockpit({
    getState: () => state,
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    onCommand: () => {},
    onQuit: () => {},
    readonly: false,
    noColor: false,
    ascii: false,
    now: () => state.now,
    tickMs: 0,
    stdout: tty as unknown as NodeJS.WriteStream,
    stderr: tty as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    alternateScreen: true,
  });
  return {
    tty,
    stdin,
    handle,
    state: () => state,
    publish(next) {
      state = next;
      for (const l of listeners) l();
    },
  };
}
