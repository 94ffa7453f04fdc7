import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { CircuitBreaker, parseRetryAfter, RETRY_AFTER_CAP_MS } from '../../src/sources/breaker.js';

function setup(failures = 3, cooldown = 30_000) {
  const clock = new ManualClock();
  return { clock, breaker: new CircuitBreaker(clock, { failures, cooldown }) };
}

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures, not before', () => {
    const { breaker } = setup(3);
    for (let i = 0; i < 2; i++) {
      expect(breaker.tryAcquire()).toBe(true);
      breaker.onFailure();
    }
    expect(breaker.state).toBe('closed');
    expect(breaker.tryAcquire()).toBe(true);
    breaker.onFailure();
    expect(breaker.state).toBe('open');
    expect(breaker.consecutiveFailures).toBe(3);
    expect(breaker.tryAcquire()).toBe(false);
  });

  it('a success resets the failure count', () => {
    const { breaker } = setup(3);
    breaker.onFailure();
    breaker.onFailure();
    breaker.onSuccess();
    breaker.onFailure();
    breaker.onFailure();
    expect(breaker.state).toBe('closed');
    expect(breaker.consecutiveFailures).toBe(2);
  });

  it('half-opens after the cooldown and lets exactly one trial through', async () => {
    const { clock, breaker } = setup(1, 30_000);
    const opened = clock.now();
    breaker.onFailure();
    expect(breaker.retryAt()).toBe(opened + 30_000);
    await clock.advance(29_999);
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire()).toBe(false);
    await clock.advance(1);
    expect(breaker.state).toBe('half-open');
    expect(breaker.retryAt()).toBeUndefined();
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(false);
    breaker.onSuccess();
    expect(breaker.state).toBe('closed');
    expect(breaker.consecutiveFailures).toBe(0);
    expect(breaker.tryAcquire()).toBe(true);
  });

  it('doubles the cooldown after each failed trial, up to 8x, and resets on success', async () => {
    const { clock, breaker } = setup(1, 10_000);
    breaker.onFailure();
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      const wait = breaker.retryAt()! - clock.now();
      waits.push(wait);
      await clock.advance(wait);
      expect(breaker.tryAcquire()).toBe(true);
      breaker.onFailure();
    }
    waits.push(breaker.retryAt()! - clock.now());
    expect(waits).toEqual([10_000, 20_000, 40_000, 80_000, 80_000, 80_000]);
    await clock.advance(80_000);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.onSuccess();
    breaker.onFailure();
    expect(breaker.retryAt()! - clock.now()).toBe(10_000);
  });

  it('release gives back an unfinished trial without counting it', async () => {
    const { clock, breaker } = setup(1, 1000);
    breaker.onFailure();
    await clock.advance(1000);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.release();
    expect(breaker.state).toBe('half-open');
    expect(breaker.consecutiveFailures).toBe(1);
    expect(breaker.tryAcquire()).toBe(true);
  });

  it('trip opens at once from closed', () => {
    const { clock, breaker } = setup(5, 30_000);
    breaker.trip();
    expect(breaker.state).toBe('open');
    expect(breaker.retryAt()).toBe(clock.now() + 30_000);
  });

  it('Retry-After holds probes back even while closed, capped at 10 minutes', async () => {
    const { clock, breaker } = setup();
    breaker.retryAfter(clock.now() + 5000);
    expect(breaker.state).toBe('closed');
    expect(breaker.tryAcquire()).toBe(false);
    await clock.advance(5000);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.retryAfter(clock.now() + 3_600_000);
    expect(breaker.retryAt()).toBe(clock.now() + RETRY_AFTER_CAP_MS);
  });

  it('the later of open-until and Retry-After wins', () => {
    const { clock, breaker } = setup(1, 10_000);
    breaker.retryAfter(clock.now() + 60_000);
    breaker.onFailure();
    expect(breaker.retryAt()).toBe(clock.now() + 60_000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(now + 120_000);
    expect(parseRetryAfter(['5'], now)).toBe(now + 5000);
    expect(parseRetryAfter('0', now)).toBe(now);
  });
  it('reads an HTTP-date', () => {
    expect(parseRetryAfter(new Date(now + 90_000).toUTCString(), now)).toBe(now + 90_000);
    expect(parseRetryAfter(new Date(now - 90_000).toUTCString(), now)).toBe(now);
  });
  it('caps long waits', () => {
    expect(parseRetryAfter('86400', now)).toBe(now + RETRY_AFTER_CAP_MS);
    expect(parseRetryAfter('86400', now, 60_000)).toBe(now + 60_000);
  });
  it('ignores missing and unreadable values', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('12 Z', now)).toBeUndefined(); // Date.parse reads it as 2001: not an HTTP-date
    expect(parseRetryAfter('2026', now)).toBe(now + RETRY_AFTER_CAP_MS);
  });
});
