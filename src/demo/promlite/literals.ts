/**
 * PromQL literals as Prometheus reads them: durations ("1h30m", Go's
 * model.ParseDuration), quoted strings with Go's escapes ("…", '…') and raw
 * `…` strings, and numbers (decimal, hex, Inf, NaN). The grammar that finds
 * them is Prometheus's own (@prometheus-io/lezer-promql, see parse.ts); this
 * reads their values, refusing what Prometheus refuses, with its wording.
 */
import { ParseError } from './errors.js';

export { parsePromDuration } from '../../duration.js';

const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };

/** A quoted string with Go's escapes ("…" and '…'), or a raw `…` string. */
export function readString(input: string, start: number): { value: string; end: number } {
  const quote = input[start]!;
  let pos = start + 1;
  let value = '';
  for (;;) {
    const c = input[pos];
    if (c === undefined || (c === '\n' && quote !== '`')) throw new ParseError(input, start, 'unterminated quoted string');
    pos++;
    if (c === quote) return { value, end: pos };
    if (c !== '\\' || quote === '`') {
      value += c;
      continue;
    }
    const e = input[pos];
    if (e === undefined) throw new ParseError(input, start, 'unterminated quoted string');
    pos++;
    if (e in SIMPLE_ESCAPES) {
      if ((e === '"' || e === "'") && e !== quote) throw new ParseError(input, start, `unknown escape sequence ${unicodeName(e)}`);
      value += SIMPLE_ESCAPES[e];
      continue;
    }
    const hex = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (hex) {
      const digits = input.slice(pos, pos + hex);
      if (!new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(digits)) throw new ParseError(input, pos - 2, `invalid \\${e} escape sequence`);
      const code = parseInt(digits, 16);
      if (e !== 'x' && (code > 0x10ffff || (code >= 0xd800 && code < 0xe000))) throw new ParseError(input, pos - 2, 'escape sequence is an invalid Unicode code point');
      value += String.fromCodePoint(code);
      pos += hex;
      continue;
    }
    if (/[0-7]/.test(e)) {
      const digits = input.slice(pos - 1, pos + 2);
      if (!/^[0-7]{3}$/.test(digits) || parseInt(digits, 8) > 255) throw new ParseError(input, pos - 2, 'invalid octal escape sequence');
      value += String.fromCharCode(parseInt(digits, 8));
      pos += 2;
      continue;
    }
    throw new ParseError(input, start, `unknown escape sequence ${unicodeName(e)}`);
  }
}

/** Go's %#U: U+0071 'q'. */
function unicodeName(c: string): string {
  return `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} '${c}'`;
}

/** A number literal's value ("1.5e3", "0x1F", "Inf", "-NaN"), or undefined when the text is not one. */
export function numberValue(text: string): number | undefined {
  const m = /^([+-]?)(.*)$/.exec(text)!;
  const sign = m[1] === '-' ? -1 : 1;
  const t = m[2]!.toLowerCase();
  if (t === 'inf') return sign * Infinity;
  if (t === 'nan') return NaN;
  if (/^0x[0-9a-f]+$/.test(t)) return sign * parseInt(t.slice(2), 16);
  if (/^(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/.test(t)) return sign * Number(t);
  return undefined;
}
