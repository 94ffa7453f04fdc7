/**
 * The clock every time-dependent part of Flightdeck reads. Production code
 * uses `systemClock`; tests and the accelerated demo use `ManualClock`, which
 * only moves when told to, so a 60-minute window runs in milliseconds.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /** Resolves after `ms` of this clock's time. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** This clock's time at a real (wall-clock) time, such as a file's modification time; the same time where absent. */
  fromWallTime?(ms: number): number;
}

export type TimerHandle = { readonly id: number } | NodeJS.Timeout;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  sleep: (ms, signal) => sleepWith(systemClock, ms, signal),
};

function sleepWith(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(signal?.reason ?? new Error('aborted'));
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Real time, sped up: `speed` clock-milliseconds pass per real millisecond.
 * The demo runs a 60-minute window in a minute at speed 60.
 */
export class ScaledClock implements Clock {
  private readonly realStart = Date.now();
  private readonly simStart: number;

  constructor(
    readonly speed: number,
    start = Date.now(),
  ) {
    if (!(speed > 0)) throw new Error(`speed must be positive, got ${speed}`);
    this.simStart = start;
  }

  now(): number {
    return this.fromWallTime(Date.now());
  }

  fromWallTime(ms: number): number {
    return this.simStart + (ms - this.realStart) * this.speed;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return setTimeout(fn, Math.max(0, ms / this.speed));
  }

  clearTimeout(handle: TimerHandle): void {
    clearTimeout(handle as NodeJS.Timeout);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }
}

interface ManualTimer {
  id: number;
  at: number;
  fn: () => void;
}

/** A clock that advances only through `advance`/`advanceTo`/`runNext`. */
export class ManualClock implements Clock {
  private current: number;
  private timers: ManualTimer[] = [];
  private nextId = 1;

  constructor(start = Date.UTC(2026, 0, 1, 12, 0, 0)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, at: this.current + Math.max(0, ms), fn };
    this.timers.push(timer);
    return { id: timer.id };
  }

  clearTimeout(handle: TimerHandle): void {
    const id = (handle as { id: number }).id;
    this.timers = this.timers.filter((t) => t.id !== id);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }

  /** Moves time forward at once, firing no timers (for replays, which have none). */
  jumpTo(t: number): void {
    this.current = Math.max(this.current, t);
  }

  /** Number of timers waiting to fire. */
  get pending(): number {
    return this.timers.length;
  }

  /** Time of the earliest timer, if any. */
  nextTimerAt(): number | undefined {
    return this.timers.reduce<number | undefined>((m, t) => (m === undefined || t.at < m ? t.at : m), undefined);
  }

  /**
   * Moves time forward by `ms`, firing due timers in order. Between timers it
   * yields to the microtask and I/O queues so awaited work can schedule more.
   */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.current + ms);
  }

  async advanceTo(target: number): Promise<void> {
    for (;;) {
      await flushMicrotasks();
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = Math.max(this.current, due.at);
      due.fn();
    }
    this.current = Math.max(this.current, target);
    await flushMicrotasks();
  }
}

/** Lets pending promise callbacks (and one turn of the event loop) run. */
export async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}
