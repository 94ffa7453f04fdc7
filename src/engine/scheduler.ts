/**
 * Adaptive polling. Phases after a deploy or promote as the plan says (seed
 * 002: 30 s for 5 min, then 2 min, for a 60-minute window), measured from
 * the window's start (the stage's entry), so a restarted process continues
 * at the rollout's phase, not at the first; the `hot`
 * interval while any gate is pending or in its warn band; jitter; a manual
 * refresh. Polls never overlap: the next one is scheduled only when the last
 * has finished.
 */
import { kindModule } from '../../checks/index.js';
import type { Clock, TimerHandle } from '../clock.js';
import { formatDuration } from '../duration.js';
import type { Engine } from './engine.js';

/** Never two polls closer than this, whatever the plan says. */
export const MIN_GAP_MS = 250;

export interface Cadence {
  intervalMs: number;
  hot: boolean;
  phaseIndex: number;
  label: string;
}

export interface Phase {
  for?: number;
  every: number;
}

/** Which phase applies `elapsed` ms after the phases (re)started: the window's start, kept in the rollout state. */
export function phaseAt(phases: Phase[], elapsed: number): number {
  let acc = 0;
  for (let i = 0; i < phases.length; i++) {
    const f = phases[i]!.for;
    if (f === undefined || elapsed < acc + f) return i;
    acc += f;
  }
  return phases.length - 1;
}

export class Scheduler {
  private timer: TimerHandle | null = null;
  private running = false;
  private refreshQueued = false;
  private unsubscribe: (() => void) | null = null;
  private readonly random: () => number;

  constructor(
    private readonly engine: Engine,
    private readonly clock: Clock,
    opts: { random?: () => number } = {},
  ) {
    this.random = opts.random ?? Math.random;
  }

  /** The cadence that applies now, from the engine's state. */
  cadence(now = this.clock.now()): Cadence {
    const { polling: spec } = this.engine.plan;
    const p = this.engine.polling;
    const phaseIndex = phaseAt(spec.phases, now - p.phaseStartedAt);
    const phase = spec.phases[phaseIndex]!;
    // A gate waiting for a person (a sign-off) does not make polling hot: polling faster does not sign it.
    const hot = this.engine.activeGates().some((g) => !kindModule(g.kind).awaitsPerson && (g.state === 'pending' || g.state === 'warn'));
    const intervalMs = hot ? Math.min(spec.hot, phase.every) : phase.every;
    const windowOver = now >= p.windowEnd;
    const label = hot
      ? `hot ${formatDuration(intervalMs)}`
      : `${windowOver ? 'window over, ' : ''}phase ${phaseIndex + 1}/${spec.phases.length} every ${formatDuration(phase.every)}`;
    return { intervalMs, hot, phaseIndex, label };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.engine.on((e) => {
      // A promote or rollback opened a new window (the engine restarts its phases): poll now, at the fast phase.
      if (e.type === 'stage.entered' || e.type === 'stage.rolled-back') this.refresh();
    });
    void this.run('start');
  }

  stop(): void {
    this.running = false;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** Poll now; if a poll is in flight, poll again as soon as it ends. */
  refresh(): void {
    if (!this.running) return;
    if (this.engine.polling.inFlight) {
      this.refreshQueued = true;
      return;
    }
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    void this.run('manual');
  }

  private async run(reason: 'schedule' | 'manual' | 'start'): Promise<void> {
    this.timer = null;
    const started = this.clock.now();
    try {
      await this.engine.poll(reason);
    } catch {
      // The engine turns every failure into gate states; a throw here is a bug we survive.
    }
    if (!this.running) return;
    if (this.refreshQueued) {
      this.refreshQueued = false;
      return this.run('manual');
    }
    this.scheduleNext(started);
  }

  private scheduleNext(lastStart: number): void {
    const now = this.clock.now();
    const c = this.cadence(now);
    const jitter = this.engine.plan.polling.jitter;
    const interval = c.intervalMs * (1 + jitter * (2 * this.random() - 1));
    const delay = Math.max(MIN_GAP_MS, lastStart + interval - now);
    const prev = this.engine.polling;
    if (prev.hot !== c.hot || prev.intervalMs !== c.intervalMs) {
      this.engine.emit({ type: 'polling.changed', label: c.label, intervalMs: c.intervalMs, hot: c.hot });
    }
    this.engine.setPolling({ label: c.label, intervalMs: c.intervalMs, hot: c.hot, phaseIndex: c.phaseIndex, nextPollAt: now + delay });
    this.timer = this.clock.setTimeout(() => void this.run('schedule'), delay);
  }
}
