/**
 * PromQL tokens: numbers (decimal, hex, Inf, NaN), durations (5m, 1h30m),
 * strings ("…", '…', `…`), identifiers, keywords and operators. Comments
 * (# to end of line) and whitespace are skipped.
 */
import { ParseError } from './errors.js';

export type TokenKind = 'number' | 'duration' | 'string' | 'ident' | 'op' | 'eof';

export interface Token {
  kind: TokenKind;
  /** The source text (for strings: the unquoted value). */
  text: string;
  /** Numbers: the value. Durations: milliseconds. */
  value: number;
  pos: number;
  end: number;
}

/** Longest first, so ">=" wins over ">". */
const OPERATORS = ['==', '!=', '<=', '>=', '=~', '!~', '+', '-', '*', '/', '%', '^', '<', '>', '=', ',', '(', ')', '{', '}', '[', ']', ':', '@'];
const DURATION = /(?:\d+(?:ms|[smhdwy]))+(?![a-zA-Z0-9_])/y;
const NUMBER = /(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(?![a-zA-Z0-9_:.])/y;
const IDENT = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;

export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  const at = (re: RegExp): string | undefined => {
    re.lastIndex = pos;
    return re.exec(input)?.[0];
  };
  while (pos < input.length) {
    const c = input[pos]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      pos++;
      continue;
    }
    if (c === '#') {
      while (pos < input.length && input[pos] !== '\n') pos++;
      continue;
    }
    const start = pos;
    if (c === '"' || c === "'" || c === '`') {
      const { value, end } = readString(input, pos);
      tokens.push({ kind: 'string', text: value, value: 0, pos: start, end });
      pos = end;
      continue;
    }
    if (/[0-9.]/.test(c)) {
      const dur = at(DURATION);
      if (dur) {
        tokens.push({ kind: 'duration', text: dur, value: durationMs(dur, input, start), pos: start, end: start + dur.length });
        pos += dur.length;
        continue;
      }
      const num = at(NUMBER);
      if (num) {
        tokens.push({ kind: 'number', text: num, value: Number(num), pos: start, end: start + num.length });
        pos += num.length;
        continue;
      }
      if (c !== '.') throw new ParseError(input, start, `bad number or duration syntax: ${JSON.stringify(input.slice(start, start + 12).split(/[\s()[\]{},]/)[0])}`);
    }
    // ":" before a digit or "]" is a subquery's step separator, not the start of a name.
    const ident = c === ':' && /[0-9\]]/.test(input[pos + 1] ?? '') ? undefined : at(IDENT);
    if (ident) {
      const lower = ident.toLowerCase();
      const next = input.slice(start + ident.length).trimStart()[0];
      if ((lower === 'inf' || lower === 'nan') && next !== '(' && next !== '{') {
        tokens.push({ kind: 'number', text: ident, value: lower === 'inf' ? Infinity : NaN, pos: start, end: start + ident.length });
      } else {
        tokens.push({ kind: 'ident', text: ident, value: 0, pos: start, end: start + ident.length });
      }
      pos += ident.length;
      continue;
    }
    const op = OPERATORS.find((o) => input.startsWith(o, pos));
    if (!op) throw new ParseError(input, start, `unexpected character: ${JSON.stringify(c)}`);
    tokens.push({ kind: 'op', text: op, value: 0, pos: start, end: start + op.length });
    pos += op.length;
  }
  tokens.push({ kind: 'eof', text: '', value: 0, pos: input.length, end: input.length });
  return tokens;
}

/** A duration token in ms; a bad one (units out of order or repeated, "30m1h") is a parse error at its place. */
function durationMs(text: string, input: string, pos: number): number {
  try {
    return parsePromDuration(text);
  } catch (err) {
    throw new ParseError(input, pos, (err as Error).message);
  }
}

const PROM_DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNITS = [31_536_000_000, 604_800_000, 86_400_000, 3_600_000, 60_000, 1_000, 1];

/** Prometheus's model.ParseDuration ("1h30m", "0s", "0"). */
export function parsePromDuration(s: string): number {
  if (s === '0') return 0;
  const m = PROM_DURATION.exec(s);
  if (!m || s === '') throw new Error(`not a valid duration string: ${JSON.stringify(s)}`);
  return UNITS.reduce((sum, unit, i) => sum + Number(m[i + 1] ?? 0) * unit, 0);
}

const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };

/** A quoted string with Go's escapes ("…" and '…'), or a raw `…` string. */
function readString(input: string, start: number): { value: string; end: number } {
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
