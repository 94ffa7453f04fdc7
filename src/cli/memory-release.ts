/**
 * Gives memory back to the system while the process waits for its next poll.
 *
 * V8 keeps the pages it collected (its young generation grown under a poll's
 * allocation, pooled pages) and only hands them back on a memory-reducing GC.
 * Its memory reducer would run one when the process goes idle, but it judges
 * idleness by the allocation rate it measured at the last GC, and a process
 * that sleeps between polls runs no GC to measure it: traced with
 * --trace-memory-reducer, it waited "high alloc, foreground" for the whole of a
 * 40 s idle. After a 60-minute window of 1,000 nodes a guard held 250 MB of RSS
 * for 27 MB of live heap; one such GC took it to 119 MB (bench memory soak,
 * issue 14).
 *
 * So: when a poll has ended, the next is far enough away, the process holds
 * more than a small budget, and none has run for a while, run one, a second
 * after the poll (its frame drawn first). For a 1,000-node plan one takes
 * ~160 ms of CPU, and the polls after it ~0.5 s more in all while V8 grows
 * its young generation back and recompiles what it dropped: ~3.5 s an hour
 * (0.1 % of a core) at one every 10 minutes.
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Clock, TimerHandle } from '../clock.js';

export type GcFunction = (opts: { type: 'major'; flavor: 'last-resort' }) => void;

export interface MemoryReleaseOptions {
  clock: Clock;
  /** Only when the next poll is at least this far away (default 20 s). */
  minGapMs?: number;
  /** At most once in this long (default 10 min). */
  everyMs?: number;
  /** How long after the poll (default 1 s). */
  delayMs?: number;
  /** Only when the process's RSS is over this many bytes (default 128 MiB). */
  budgetBytes?: number;
  /** The process's RSS in bytes; default process.memoryUsage.rss. */
  rss?: () => number;
  /** The collector; default V8's, exposed in a context of its own. */
  gc?: () => GcFunction;
}

export interface MemoryRelease {
  /** Called when the next poll is scheduled, `untilNextMs` away. */
  idle(untilNextMs: number): void;
  /** How many times it ran. */
  readonly runs: number;
  close(): void;
}

export const RELEASE_MIN_GAP_MS = 20_000;
export const RELEASE_EVERY_MS = 10 * 60_000;
export const RELEASE_BUDGET_BYTES = 128 * 1024 * 1024;

let exposed: GcFunction | undefined;
/**
 * V8's gc(), without `--expose-gc` on the command line and without a global: the flag makes
 * contexts created after it carry gc() (the pattern in Node's v8.setFlagsFromString docs).
 */
export function v8Gc(): GcFunction {
  if (!exposed) {
    v8.setFlagsFromString('--expose-gc');
    exposed = runInNewContext('gc') as GcFunction;
  }
  return exposed;
}

export function createMemoryRelease(o: MemoryReleaseOptions): MemoryRelease {
  const minGap = o.minGapMs ?? RELEASE_MIN_GAP_MS;
  const every = o.everyMs ?? RELEASE_EVERY_MS;
  const delay = o.delayMs ?? 1_000;
  const gc = o.gc ?? v8Gc;
  const budget = o.budgetBytes ?? RELEASE_BUDGET_BYTES;
  const rss = o.rss ?? (() => process.memoryUsage.rss());
  let last = Number.NEGATIVE_INFINITY;
  let timer: TimerHandle | null = null;
  let runs = 0;
  let closed = false;
  return {
    idle(untilNextMs) {
      if (closed || timer || untilNextMs < minGap + delay) return;
      if (o.clock.now() - last < every || rss() <= budget) return;
      timer = o.clock.setTimeout(() => {
        timer = null;
        if (closed) return;
        last = o.clock.now();
        runs++;
        gc()({ type: 'major', flavor: 'last-resort' });
      }, delay);
    },
    get runs() {
      return runs;
    },
    close() {
      closed = true;
      if (timer) o.clock.clearTimeout(timer);
      timer = null;
    },
  };
}
