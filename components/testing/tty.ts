/** A fake TTY pair for rendering the real cockpit: counts bytes, can mirror into a Screen, resizes like a terminal. */
import { EventEmitter } from 'node:events';
import type { Screen } from './screen.js';

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
