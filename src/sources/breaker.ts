/**
 * A small per-node circuit breaker on an injected clock, plus the node's own
 * Retry-After. closed -> open after `failures` consecutive failures; open for
 * `cooldown` (doubled after each failed half-open trial, up to `maxBackoff`x,
 * reset on success); then half-open, letting exactly one trial probe through.
 */
import type { Clock } from '../clock.js';
import type { BreakerState } from './types.js';

export interface BreakerOptions {
  /** Consecutive failures that open the breaker. */
  failures: number;
  /** How long the breaker stays open before a trial, in ms. */
  cooldown: number;
  /** Cap on the cooldown multiplier (default 8). */
  maxBackoff?: number;
}

/** Longest wait a node may ask for with Retry-After (10 minutes). */
export const RETRY_AFTER_CAP_MS = 600_000;

export class CircuitBreaker {
  private failures = 0;
  private multiplier = 1;
  private openUntil: number | undefined;
  private trialInFlight = false;
  private notBefore: number | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly opts: BreakerOptions,
  ) {}

  get state(): BreakerState {
    if (this.openUntil === undefined) return 'closed';
    return this.clock.now() < this.openUntil ? 'open' : 'half-open';
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** When the next probe may be sent, if that is in the future (open breaker or Retry-After). */
  retryAt(): number | undefined {
    const now = this.clock.now();
    const at = Math.max(this.openUntil ?? -Infinity, this.notBefore ?? -Infinity);
    return at > now ? at : undefined;
  }

  /**
   * Asks to send a probe now. False while open, while Retry-After is in force,
   * or while the one half-open trial is already out. True reserves the trial.
   */
  tryAcquire(): boolean {
    if (this.retryAt() !== undefined) return false;
    if (this.state === 'half-open') {
      if (this.trialInFlight) return false;
      this.trialInFlight = true;
    }
    return true;
  }

  /** Gives back a reservation whose probe never completed (e.g. aborted). */
  release(): void {
    this.trialInFlight = false;
  }

  onSuccess(): void {
    this.failures = 0;
    this.multiplier = 1;
    this.openUntil = undefined;
    this.trialInFlight = false;
  }

  onFailure(): void {
    this.failures++;
    if (this.trialInFlight || this.state !== 'closed') this.reopen(true);
    else if (this.failures >= this.opts.failures) this.reopen(false);
  }

  /** Opens at once, whatever the count (the node said its own circuit is open). Counts as a failure. */
  trip(): void {
    this.failures++;
    this.reopen(this.trialInFlight || this.state !== 'closed');
  }

  /** The node asked us to wait until `at` (ms). */
  retryAfter(at: number): void {
    this.notBefore = Math.min(at, this.clock.now() + RETRY_AFTER_CAP_MS);
  }

  private reopen(afterTrial: boolean): void {
    if (afterTrial) this.multiplier = Math.min(this.multiplier * 2, this.opts.maxBackoff ?? 8);
    this.openUntil = this.clock.now() + this.opts.cooldown * this.multiplier;
    this.trialInFlight = false;
  }
}

/**
 * Parses a Retry-After header (delta-seconds or an HTTP-date) into an absolute
 * time in ms, never before `now` and capped at `capMs` from now. Undefined when
 * absent or unreadable. The one Retry-After reader: the notifier's
 * (src/notify/retry.ts) is this one expressed as a delay.
 */
export function parseRetryAfter(
  value: string | string[] | undefined,
  now: number,
  capMs = RETRY_AFTER_CAP_MS,
): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  let at: number;
  if (/^\d+(\.\d+)?$/.test(text)) at = now + Number(text) * 1000;
  else {
    // An HTTP-date names its weekday and month ("Wed, 21 Oct 2015 07:28:00 GMT"); "-5" or "12 Z" is not one.
    if (!/[a-z]{3}/i.test(text)) return undefined;
    const date = Date.parse(text);
    if (Number.isNaN(date)) return undefined;
    at = date;
  }
  return Math.min(Math.max(at, now), now + capMs);
}
