/**
 * Where a character of a YAML string value sits in the source text, for
 * pointing into a value (a PromQL query) whatever its style: plain, quoted
 * (with escapes), literal `|` or folded `>`, on one line or many. And where
 * a quoted scalar that is never closed opens.
 */
import { Parser, Scalar } from 'yaml';

/**
 * Source offset of character `index` of a string scalar's value. Aligns the
 * value with its source text: equal characters match, whitespace in the value
 * matches whitespace in the source (line folding), anything else in the
 * source (quotes, escapes' backslashes, indentation) is skipped.
 */
export function valueOffset(source: string, node: Scalar, index: number): number {
  const range = node.range;
  if (!range) return 0;
  const [start, end] = range;
  const value = typeof node.value === 'string' ? node.value : String(node.value);
  let j = start;
  if (node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED) {
    const nl = source.indexOf('\n', start);
    j = nl < 0 || nl >= end ? end : nl + 1;
  } else if (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE) {
    j = start + 1;
  }
  const limit = Math.min(end, source.length);
  for (let i = 0; i <= index && i < value.length; i++) {
    const c = value[i]!;
    const space = /\s/.test(c);
    while (j < limit && !(source[j] === c || (space && /\s/.test(source[j]!)))) j++;
    if (j >= limit) return start;
    if (i === index) return j;
    if (space) {
      // A fold eats the line break and the next line's indentation; a value of several spaces keeps them apart.
      const next = value[i + 1];
      if (next !== undefined && !/\s/.test(next)) while (j < limit && /\s/.test(source[j]!)) j++;
      else j++;
    } else j++;
  }
  return index >= value.length ? Math.min(j, limit) : start;
}

interface CstLike {
  type?: string;
  offset?: number;
  source?: string;
}

/** Offsets of quoted scalars that are never closed ("... without its closing "). */
export function unclosedQuotes(source: string): Array<{ offset: number; quote: string }> {
  const out: Array<{ offset: number; quote: string }> = [];
  const seen = new Set<unknown>();
  const walk = (v: unknown, depth: number): void => {
    if (v === null || typeof v !== 'object' || seen.has(v) || depth > 200) return;
    seen.add(v);
    const t = v as CstLike;
    if ((t.type === 'double-quoted-scalar' || t.type === 'single-quoted-scalar') && typeof t.source === 'string' && typeof t.offset === 'number') {
      if (!isClosed(t.source)) out.push({ offset: t.offset, quote: t.source[0]! });
      return;
    }
    for (const child of Array.isArray(v) ? v : Object.values(v)) walk(child, depth + 1);
  };
  for (const token of new Parser().parse(source)) walk(token, 0);
  return out;
}

function isClosed(s: string): boolean {
  const q = s[0];
  if (s.length < 2 || s[s.length - 1] !== q) return false;
  if (q === "'") {
    // '' is an escaped quote inside: count the run of quotes at the end.
    let run = 0;
    for (let i = s.length - 1; i > 0 && s[i] === "'"; i--) run++;
    return run % 2 === 1;
  }
  let slashes = 0;
  for (let i = s.length - 2; i > 0 && s[i] === '\\'; i--) slashes++;
  return slashes % 2 === 0;
}
