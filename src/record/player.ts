/**
 * Plays a recording back in real time (scaled), with pause, step and seek,
 * for `flightdeck replay`. Time on screen is the recording's own.
 */
import { formatDuration } from '../duration.js';
import type { Engine } from '../engine/engine.js';
import type { Recording } from './read.js';
import { ReplayDriver } from './replay.js';

export class Player {
  readonly driver: ReplayDriver;
  speed: number;
  paused = false;
  private cursor: number;
  private timer: NodeJS.Timeout | null = null;
  private readonly tickMs: number;
  private lastTick = Date.now();
  private listeners = new Set<() => void>();
  private engineOff: (() => void) | null = null;

  constructor(recording: Recording, opts: { speed: number; tickMs?: number }) {
    this.driver = new ReplayDriver(recording);
    this.speed = opts.speed;
    this.cursor = this.driver.startAt;
    this.driver.onReset = (_old, fresh) => this.watch(fresh);
    this.watch(this.driver.engine);
    this.tickMs = opts.tickMs ?? 50;
  }

  get engine(): Engine {
    return this.driver.engine;
  }

  /** The recording's time being shown. */
  get at(): number {
    return this.cursor;
  }

  get ended(): boolean {
    return this.driver.done;
  }

  start(): void {
    this.lastTick = Date.now();
    this.timer = setInterval(() => this.tick(), this.tickMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.engineOff?.();
  }

  subscribe(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  togglePause(): void {
    this.paused = !this.paused;
    this.lastTick = Date.now();
    this.changed();
  }

  /** Applies the next observation (and what came with it), and pauses. */
  step(): void {
    this.paused = true;
    const startPos = this.driver.pos;
    while (this.driver.step()) {
      const e = this.driver.recording.entries[this.driver.pos - 1]!;
      if (e.kind === 'obs' && this.driver.pos - 1 >= startPos) break;
    }
    this.cursor = this.driver.clock.now();
    this.changed();
  }

  seekBy(ms: number): void {
    this.seekTo(this.cursor + ms);
  }

  seekTo(t: number): void {
    this.cursor = Math.max(this.driver.startAt, Math.min(t, this.driver.endAt));
    this.driver.seek(this.cursor);
    this.changed();
  }

  setSpeed(speed: number): void {
    this.speed = Math.max(0.25, Math.min(3600, speed));
    this.changed();
  }

  /** "REPLAY 12:04:33 +4m10s of 61m ×10 (paused)". */
  status(): string {
    const d = this.driver;
    const clock = new Date(this.cursor).toISOString().slice(11, 19);
    const state = this.paused ? 'paused' : d.done ? 'ended' : 'playing';
    return `REPLAY ${clock} +${formatDuration(this.cursor - d.startAt)} of ${formatDuration(d.endAt - d.startAt)} ×${this.speed} (${state})`;
  }

  private tick(): void {
    const now = Date.now();
    const dt = now - this.lastTick;
    this.lastTick = now;
    if (this.paused || this.driver.done) return;
    this.cursor = Math.min(this.driver.endAt, this.cursor + dt * this.speed);
    this.driver.seek(this.cursor);
    this.changed(); // the replay clock moved, whether or not an entry was applied
  }

  private watch(engine: Engine): void {
    this.engineOff?.();
    this.engineOff = engine.subscribe(() => this.changed());
    this.changed();
  }

  private changed(): void {
    for (const cb of this.listeners) cb();
  }
}
