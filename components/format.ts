/**
 * Layout helpers of the cockpit's panels: clock times, cells, cutting. Values,
 * thresholds, ages and safe text come from the core's one formatter
 * (src/present/values.ts), re-exported here.
 */
export { formatAge, formatCoarseAge, formatRemaining, formatValue, sanitize } from '../src/present/values.js';
import fastStringWidth, { standaloneCharWidth } from './string-width-fast.js';

const pad2 = (n: number) => String(n).padStart(2, '0');

/** "HH:MM:SS" in the local time zone (or UTC). */
export function formatClock(at: number, utc = false): string {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return '--:--:--';
  return utc
    ? `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`
    : `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** "> 0.05 | warn > 0.03", "none" when the gate has no threshold. */
export function formatThresholds(fail: readonly string[], warn: readonly string[], ascii = false): string {
  const f = fail.join(', ');
  const w = warn.length ? `warn ${warn.join(', ')}` : '';
  if (!f && !w) return ascii ? '-' : '—';
  return [f, w].filter(Boolean).join(' | ');
}

/** Latency in ms: "12ms", "1.2s". */
export function formatLatency(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  return `${Number((ms / 1000).toFixed(1))}s`;
}

/**
 * Columns `s` takes on a terminal: an East Asian wide character or an emoji
 * two, a combining mark none (string-width's rules; a row of the cockpit's
 * own glyphs is added up without segmenting: string-width-fast). Segments
 * hold no escape codes (sanitize). It runs for every segment of every row drawn.
 */
export function textWidth(s: string): number {
  return fastStringWidth(s);
}

/** Number of code points ("characters" as an operator counts them, e.g. in a reason). */
export function codePointCount(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** The first `count` code points of `s` (all of it when it has no more). */
export function firstCodePoints(s: string, count: number): string {
  if (count <= 0) return '';
  let i = 0;
  for (let k = 0; k < count && i < s.length; k++) {
    const c = s.charCodeAt(i);
    const d = s.charCodeAt(i + 1);
    i += c >= 0xd800 && c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff ? 2 : 1;
  }
  return i >= s.length ? s : s.slice(0, i);
}

let graphemes: Intl.Segmenter | undefined;
const segmentsOf = (s: string) => (graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' })).segment(s);

/** The longest start of `s` at most `cols` columns wide, never splitting a character (a wide one that does not fit is left out whole). */
export function firstColumns(s: string, cols: number): string {
  if (cols <= 0) return '';
  let w = 0;
  let i = 0;
  for (; i < s.length; i++) {
    const cw = standaloneCharWidth(s.charCodeAt(i));
    if (cw === undefined) break;
    if (w + cw > cols) return s.slice(0, i);
    w += cw;
  }
  if (i >= s.length) return s;
  // Not every character stands alone: whole graphemes, from the start.
  w = 0;
  for (const { segment, index } of segmentsOf(s)) {
    w += fastStringWidth(segment);
    if (w > cols) return s.slice(0, index);
  }
  return s;
}

/** The longest end of `s` at most `cols` columns wide, never splitting a character. */
export function lastColumns(s: string, cols: number): string {
  if (cols <= 0) return '';
  if (textWidth(s) <= cols) return s;
  const parts = [...segmentsOf(s)];
  let w = 0;
  for (let k = parts.length - 1; k >= 0; k--) {
    w += fastStringWidth(parts[k]!.segment);
    if (w > cols) return s.slice(k + 1 < parts.length ? parts[k + 1]!.index : s.length);
  }
  return s;
}

/** Cuts `s` to `width` columns, ending with `ellipsis` when cut. */
export function truncate(s: string, width: number, ellipsis = '…'): string {
  if (width <= 0) return '';
  if (textWidth(s) <= width) return s;
  const e = textWidth(ellipsis) < width ? ellipsis : '';
  return firstColumns(s, width - textWidth(e)) + e;
}

/** Pads or cuts to exactly `width` columns. */
export function cell(s: string, width: number, align: 'left' | 'right' = 'left', ellipsis = '…'): string {
  const t = truncate(s, width, ellipsis);
  const pad = spaces(width - textWidth(t));
  return align === 'left' ? t + pad : pad + t;
}

/** Padding strings by length, made once: cells and rows pad at every frame ('x'.repeat builds each anew). */
const PADS: string[] = [];
/** `n` spaces (none when n <= 0). */
export function spaces(n: number): string {
  if (n <= 0) return '';
  if (n > 512) return ' '.repeat(n);
  return (PADS[n] ??= ' '.repeat(n));
}

/** Splits text into chunks of at most `width` columns (for long queries), at most `maxLines` of them. */
export function chunk(s: string, width: number, maxLines: number, ellipsis = '…'): string[] {
  if (width <= 0 || maxLines <= 0) return [];
  const cps = [...s];
  const out: string[] = [];
  for (let i = 0; i < cps.length && out.length < maxLines; i += width) out.push(cps.slice(i, i + width).join(''));
  if (out.length === maxLines && cps.length > width * maxLines) {
    out[maxLines - 1] = truncate(out[maxLines - 1]! + 'xx', width, ellipsis);
  }
  return out.length ? out : [''];
}

/** "3 failing, 1 pending" style counts, zeros left out, in the order given. */
export function countsText(counts: ReadonlyArray<[string, number]>): string {
  return counts
    .filter(([, n]) => n > 0)
    .map(([w, n]) => `${n} ${w}`)
    .join(', ');
}
