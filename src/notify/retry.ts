/**
 * Backoff arithmetic: exponential with full jitter, and Retry-After in its
 * two forms (delta-seconds or an HTTP-date).
 */

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
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  // An HTTP-date names its weekday and month ("Wed, 21 Oct 2015 07:28:00 GMT"); "-5" is not one.
  if (!/[a-z]{3}/i.test(v)) return undefined;
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
