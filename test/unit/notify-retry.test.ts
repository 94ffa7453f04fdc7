import { describe, expect, it } from 'vitest';
import { backoffDelay, BACKOFF_CAP_MS, parseRetryAfter } from '../../src/notify/retry.js';

describe('backoffDelay (full jitter)', () => {
  it('is random() times min(cap, base * 2^retry)', () => {
    expect([0, 1, 2, 3, 4].map((r) => backoffDelay(r, () => 1))).toEqual([500, 1000, 2000, 4000, 8000]);
    expect(backoffDelay(2, () => 0.5)).toBe(1000);
    expect(backoffDelay(3, () => 0)).toBe(0);
  });

  it('never exceeds the 30 s cap', () => {
    expect(backoffDelay(6, () => 1)).toBe(BACKOFF_CAP_MS);
    expect(backoffDelay(50, () => 1)).toBe(30_000);
    expect(backoffDelay(50, () => 0.5)).toBe(15_000);
  });

  it('clamps a misbehaving random source into [0, 1]', () => {
    expect(backoffDelay(0, () => 7)).toBe(500);
    expect(backoffDelay(0, () => -3)).toBe(0);
  });

  it('takes other base and cap values', () => {
    expect(backoffDelay(3, () => 1, { baseMs: 100, capMs: 500 })).toBe(500);
    expect(backoffDelay(1, () => 1, { baseMs: 100 })).toBe(200);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('2', now)).toBe(2_000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfter('1.5', now)).toBe(1_500);
    expect(parseRetryAfter(['3', '9'], now)).toBe(3_000);
  });
  it('reads an HTTP-date relative to now, never negative', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 11:00:00 GMT', now)).toBe(0);
  });
  it('is undefined when absent or unreadable', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('12 Z', now)).toBeUndefined(); // Date.parse reads it as 2001: not an HTTP-date
  });
  it('is not capped here (the dispatcher caps)', () => {
    expect(parseRetryAfter('86400', now)).toBe(86_400_000);
  });
});
