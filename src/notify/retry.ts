/**
 * Backoff arithmetic: exponential with full jitter, and Retry-After in its
 * two forms (delta-seconds or an HTTP-date) as a delay.
 */
import { parseRetryAfter as parseRetryAfterAt } from '../sources/breaker.js';

export interface BackoffOptions {
  /** Default 500 ms. */
  baseMs?: number;
  /** Default 30 s. */
  capMs?: number;
}

export const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 30_000;
/** The longest a server's Retry-After is obeyed for. */
export const RETRY_AFTER_CAP_MS = 60_000;

/**
 * Full jitter: a uniformly random delay between 0 and min(cap, base * 2^retry),
 * `retry` counting from 0 for the first retry.
 */
export function backoffDelay(retry: number, random: () => number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? BACKOFF_BASE_MS;
  const cap = opts.capMs ?? BACKOFF_CAP_MS;
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, retry));
  const r = Math.min(1, Math.max(0, random()));
  return Math.floor(r * ceiling);
}

/**
 * Retry-After as milliseconds from `now`: "120" -> 120000, an HTTP-date ->
 * its distance from now (0 when past). Undefined when absent or unreadable.
 * Uncapped here: the dispatcher applies RETRY_AFTER_CAP_MS to every channel's wait.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const at = parseRetryAfterAt(value, now, Infinity);
  return at === undefined ? undefined : Math.round(at - now);
}
