/**
 * Semantic colour tokens, glyphs and line characters. Views name a token
 * ("failing"), never a colour, so the no-colour theme (NO_COLOR, --no-color)
 * and the ASCII mode (--ascii) change the whole cockpit in one place.
 */
import sparkly from 'sparkly';
import type { GateState } from '../src/engine/types.js';

export type Token =
  | 'ok'
  | 'warn'
  | 'pending'
  | 'failing'
  | 'noData'
  | 'error'
  | 'off'
  | 'text'
  | 'muted'
  | 'accent'
  | 'title'
  | 'focusTitle'
  | 'selected'
  | 'badge'
  | 'danger'
  | 'rollback';

export interface Style {
  color?: string;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
}

export interface Glyphs {
  state: Record<GateState, string>;
  stage: { done: string; current: string; next: string; rolledBack: string };
  node: { up: string; down: string; unknown: string };
  cursor: string;
  arrow: string;
  ellipsis: string;
  rule: string;
  sep: string;
  /** A light separator inside a line: " · ". */
  dot: string;
  dash: string;
  spinner: string;
}

export interface Theme {
  name: 'color' | 'no-color';
  ascii: boolean;
  styles: Record<Token, Style>;
  glyphs: Glyphs;
  /** A sparkline of the newest `width` values (null: a hole), padded to `width`. */
  spark(values: ReadonlyArray<number | null>, width: number): string;
}

const COLOR: Record<Token, Style> = {
  ok: { color: 'green' },
  warn: { color: 'yellow' },
  pending: { color: 'magenta' },
  failing: { color: 'red', bold: true },
  noData: { color: 'gray' },
  error: { color: 'red' },
  off: { dim: true },
  text: {},
  muted: { color: 'gray' },
  accent: { color: 'cyan' },
  title: { bold: true },
  focusTitle: { bold: true, inverse: true },
  selected: { bold: true },
  badge: { color: 'yellow', bold: true, inverse: true },
  danger: { color: 'red', bold: true },
  rollback: { color: 'red', bold: true, inverse: true },
};

/** Colourless: the same emphasis with bold, dim and inverse only (not colours under NO_COLOR). */
const NO_COLOR: Record<Token, Style> = {
  ok: {},
  warn: {},
  pending: {},
  failing: { bold: true },
  noData: { dim: true },
  error: { bold: true },
  off: { dim: true },
  text: {},
  muted: { dim: true },
  accent: {},
  title: { bold: true },
  focusTitle: { bold: true, inverse: true },
  selected: { bold: true },
  badge: { bold: true, inverse: true },
  danger: { bold: true },
  rollback: { bold: true, inverse: true },
};

const UNICODE_GLYPHS: Glyphs = {
  state: { ok: '✓', warn: '▲', pending: '◌', failing: '✗', 'no data': '?', error: '!', off: '·' },
  stage: { done: '✓', current: '●', next: '○', rolledBack: '↺' },
  node: { up: '●', down: '✗', unknown: '?' },
  cursor: '▶',
  arrow: '→',
  ellipsis: '…',
  rule: '─',
  sep: ' │ ',
  dot: ' · ',
  dash: '—',
  spinner: '⟳',
};

const ASCII_GLYPHS: Glyphs = {
  state: { ok: '+', warn: '^', pending: '%', failing: 'X', 'no data': '?', error: '!', off: '-' },
  stage: { done: '+', current: '@', next: '.', rolledBack: '<' },
  node: { up: 'o', down: 'X', unknown: '?' },
  cursor: '>',
  arrow: '->',
  ellipsis: '~',
  rule: '-',
  sep: ' | ',
  dot: ' - ',
  dash: '-',
  spinner: '*',
};

/** ASCII sparkline ramp, low to high; holes are spaces. */
export const ASCII_RAMP = '_.:-=+*#';

function newest(values: ReadonlyArray<number | null>, width: number): Array<number | null> {
  return width <= 0 ? [] : values.slice(Math.max(0, values.length - width));
}

export function asciiSpark(values: ReadonlyArray<number | null>, width: number): string {
  const vs = newest(values, width);
  const finite = vs.filter((v): v is number => v !== null && Number.isFinite(v));
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const line = vs
    .map((v) => {
      if (v === null || !Number.isFinite(v)) return ' ';
      if (max === min) return ASCII_RAMP[3]!;
      const i = Math.min(ASCII_RAMP.length - 1, Math.floor(((v - min) / (max - min)) * ASCII_RAMP.length));
      return ASCII_RAMP[i]!;
    })
    .join('');
  return line.padEnd(width, ' ');
}

export function unicodeSpark(values: ReadonlyArray<number | null>, width: number): string {
  const vs = newest(values, width);
  if (vs.length === 0) return ' '.repeat(Math.max(0, width));
  const line = sparkly(vs.map((v) => (v === null || !Number.isFinite(v) ? '' : v)));
  return line.padEnd(width, ' ');
}

/** True when colours must not be used: --no-color, or NO_COLOR set to anything but "". */
export function colorDisabled(noColor: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return noColor || (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '');
}

/**
 * True when the locale says the terminal is not UTF-8 (LANG=C, POSIX, a
 * Latin-1 locale): the cockpit then draws ASCII unless told otherwise. The
 * first of LC_ALL, LC_CTYPE, LANG that is set decides; none set: UTF-8.
 */
export function asciiByDefault(env: NodeJS.ProcessEnv = process.env): boolean {
  const locale = [env['LC_ALL'], env['LC_CTYPE'], env['LANG']].find((v) => v !== undefined && v !== '');
  if (locale === undefined) return false;
  return !/utf-?8/i.test(locale);
}

export function makeTheme(opts: { noColor: boolean; ascii: boolean }): Theme {
  return {
    name: opts.noColor ? 'no-color' : 'color',
    ascii: opts.ascii,
    styles: opts.noColor ? NO_COLOR : COLOR,
    glyphs: opts.ascii ? ASCII_GLYPHS : UNICODE_GLYPHS,
    spark: opts.ascii ? asciiSpark : unicodeSpark,
  };
}

const STATE_TOKEN: Record<GateState, Token> = {
  ok: 'ok',
  warn: 'warn',
  pending: 'pending',
  failing: 'failing',
  'no data': 'noData',
  error: 'error',
  off: 'off',
};

export function stateToken(state: GateState): Token {
  return STATE_TOKEN[state];
}

/** Most severe first: the order gates are listed in and counted by. */
export const STATE_SEVERITY: readonly GateState[] = ['failing', 'error', 'pending', 'no data', 'warn', 'ok', 'off'];
