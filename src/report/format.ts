/** Time and duration wording shared by the report's model and renderers (UTC, so a report reads the same anywhere). */
import { formatDuration } from '../duration.js';

/** "2026-01-01 12:03:05Z" */
export function dateTime(t: number): string {
  if (!Number.isFinite(t)) return '–';
  return new Date(t).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

/** "12:03:05" (UTC) */
export function clockTime(t: number): string {
  if (!Number.isFinite(t)) return '–';
  return new Date(t).toISOString().slice(11, 19);
}

/** Offset from the window's start: "+3m05s", "+0s". */
export function offset(t: number, start: number): string {
  const d = t - start;
  return d < 0 ? `-${formatDuration(-d)}` : `+${formatDuration(d)}`;
}

/** "4m30s"; "–" when unknown. */
export function span(ms: number | undefined): string {
  return ms === undefined || !Number.isFinite(ms) ? '–' : formatDuration(ms);
}

/** Parses the runner's own durations ("12s", "1m30s", "250ms") back into milliseconds. */
export function parseSpan(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|d|h|m|s)/g;
  const sizes: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  let total = 0;
  let consumed = '';
  for (const m of text.matchAll(re)) {
    total += Number(m[1]) * sizes[m[2]!]!;
    consumed += m[0];
  }
  return consumed !== '' && consumed === text.trim() ? total : undefined;
}
