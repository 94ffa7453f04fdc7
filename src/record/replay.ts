/**
 * Drives a fresh engine from a recording, with no network: observations and
 * commands are applied in order at their recorded times (on a ManualClock);
 * events from outside the engine (actions, notifications, polling cadence)
 * are re-emitted. Seeking back rebuilds from the start, which is cheap
 * because applying is pure.
 */
import { dirname } from 'node:path';
import { ManualClock } from '../clock.js';
import { Engine } from '../engine/engine.js';
import { parsePlanText } from '../plan/load.js';
import type { Recording } from './read.js';

type Entry = Recording['entries'][number];

export class ReplayDriver {
  engine!: Engine;
  clock!: ManualClock;
  /** Index of the next entry to apply. */
  pos = 0;

  constructor(readonly recording: Recording) {
    this.reset();
  }

  /** Where the replay starts: when recording started (for a resumed rollout, after its window opened). */
  get startAt(): number {
    const h = this.recording.header;
    return h.rollout ? h.startedAt : h.windowStart;
  }

  get endAt(): number {
    const last = this.recording.entries.at(-1);
    return last ? entryTime(last) : this.startAt;
  }

  get done(): boolean {
    return this.pos >= this.recording.entries.length;
  }

  /** Time of the next entry, if any. */
  nextAt(): number | undefined {
    const e = this.recording.entries[this.pos];
    return e ? entryTime(e) : undefined;
  }

  reset(): void {
    const h = this.recording.header;
    const loaded = parsePlanText(h.planText, h.planFile, dirname(h.planFile));
    this.clock = new ManualClock(this.startAt);
    const stageId = loaded.plan.stages[h.stageIndex]?.id;
    const old = this.engine;
    const r = h.rollout;
    this.engine = new Engine({
      loaded,
      clock: this.clock,
      prometheus: null,
      nodes: null,
      stageId,
      ...(r ? { stageEnteredAt: r.stageEnteredAt, rolledBack: r.rolledBack, window: r.window, baselines: r.baselines } : {}),
      readFile: async () => {
        throw new Error('replay reads no files');
      },
      runCommand: async () => ({ exitCode: null, timedOut: false, durationMs: 0, tail: '', error: 'replay runs no commands' }),
    });
    this.pos = 0;
    if (old) this.onReset?.(old, this.engine);
  }

  /** Called after a reset (a seek backwards) with the old and new engines, so a view can re-subscribe. */
  onReset?: (old: Engine, fresh: Engine) => void;

  /** Applies the next entry. Returns false at the end. */
  step(): boolean {
    const e = this.recording.entries[this.pos];
    if (!e) return false;
    this.pos++;
    this.applyEntry(e);
    return true;
  }

  /** Applies every entry up to and including time `t`. */
  seek(t: number): void {
    if (t < this.clock.now()) this.reset();
    while (!this.done && (this.nextAt() ?? Infinity) <= t) this.step();
    this.setClock(Math.max(this.clock.now(), Math.min(t, this.endAt)));
  }

  /** Applies everything. */
  runToEnd(): void {
    while (this.step());
  }

  private applyEntry(e: Entry): void {
    switch (e.kind) {
      case 'obs':
        this.setClock(e.startedAt);
        this.engine.emit({ type: 'poll.started', reason: e.reason });
        this.setClock(e.at);
        this.engine.apply(e);
        return;
      case 'cmd':
        this.setClock(e.at);
        this.engine.dispatch(e.cmd);
        return;
      case 'event':
        if (e.origin !== 'external' || e.event.type === 'poll.started') return;
        this.setClock(e.event.at);
        if (e.event.type === 'polling.changed') this.engine.setPolling({ label: e.event.label, intervalMs: e.event.intervalMs, hot: e.event.hot });
        const { at: _at, ...rest } = e.event;
        this.engine.emit(rest);
        return;
    }
  }

  private setClock(t: number): void {
    // Time only moves forward; recorded times are ordered, so this is a no-op for stragglers.
    this.clock.jumpTo(t);
  }
}

function entryTime(e: Entry): number {
  switch (e.kind) {
    case 'obs':
      return e.at;
    case 'cmd':
      return e.at;
    case 'event':
      return e.event.at;
  }
}
