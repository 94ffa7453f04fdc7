/**
 * A row's styled characters (@alcalzone/ansi-tokenize's StyledChar: each
 * character with the reduced SGR codes in force), read directly when the row
 * is SGR sequences and standalone characters (string-width-fast's ranges:
 * each character a grapheme of its own), as a cockpit row is.
 *
 * ansi-tokenize's tokenize() segments the whole string into graphemes
 * (Intl.Segmenter) and makes a token per character and a copy of the styles
 * for each; an allocation profile of the render bench (160x50, poll frames)
 * put ~44 MB of 366 MB there, and the cell-diff stage parsed every new row
 * again. Here each SGR sequence is tokenised once per styles it follows,
 * and the objects are shared (below). The result equals what
 * styledCharsFromTokens(tokenize(row)) gives: the tests compare them over
 * every standalone character.
 */
import { reduceAnsiCodesIncremental, tokenize, type AnsiCode, type StyledChar } from '@alcalzone/ansi-tokenize';
import { standaloneCharWidth } from './string-width-fast.js';

/**
 * Styles and characters are interned: each SGR sequence applied to a styles
 * array gives one array (the transition remembered), and each character in
 * each such array one StyledChar, so a row is an array of shared objects
 * rather than an object per character (nothing mutates them: Ink's Output
 * places and copies them, the cell-diff stage reads them).
 */
const NONE: AnsiCode[] = [];
const transitions = new WeakMap<AnsiCode[], Map<string, AnsiCode[]>>();
const interned = new WeakMap<AnsiCode[], Map<string, StyledChar>>();
/**
 * How many transitions and characters are remembered in all: past that, a
 * result is made afresh (and is garbage with its row), so text full of ever
 * new colours cannot grow these tables without bound.
 */
const MAX_TRANSITIONS = 4096;
const MAX_CHARS = 65_536;
const remembered = { transitions: 0, chars: 0 };
/** How many are remembered now (for tests). */
export const rememberedCounts = (): Readonly<typeof remembered> => ({ ...remembered });

function apply(styles: AnsiCode[], seq: string): AnsiCode[] {
  let to = transitions.get(styles)?.get(seq);
  if (to === undefined) {
    to = styles;
    for (const t of tokenize(seq)) if (t.type === 'ansi') to = reduceAnsiCodesIncremental(to, [t]);
    if (to.length === 0) to = NONE;
    if (remembered.transitions < MAX_TRANSITIONS) {
      remembered.transitions++;
      let next = transitions.get(styles);
      if (next === undefined) transitions.set(styles, (next = new Map()));
      next.set(seq, to);
    }
  }
  return to;
}

function styledChar(value: string, fullWidth: boolean, styles: AnsiCode[]): StyledChar {
  let c = interned.get(styles)?.get(value);
  if (c === undefined) {
    c = { type: 'char', value, fullWidth, styles };
    if (remembered.chars < MAX_CHARS) {
      remembered.chars++;
      let chars = interned.get(styles);
      if (chars === undefined) interned.set(styles, (chars = new Map()));
      chars.set(value, c);
    }
  }
  return c;
}

/** The styled characters of `row`, or undefined when it holds anything but SGR sequences and standalone characters. */
export function standaloneStyledChars(row: string): StyledChar[] | undefined {
  const out: StyledChar[] = [];
  let styles = NONE;
  const n = row.length;
  for (let i = 0; i < n; i++) {
    const c = row.charCodeAt(i);
    if (c === 0x1b) {
      // ESC [ digits and ; then m: an SGR sequence. Any other escape is left to tokenize().
      if (row.charCodeAt(i + 1) !== 0x5b) return undefined;
      let j = i + 2;
      while (j < n && ((row.charCodeAt(j) >= 0x30 && row.charCodeAt(j) <= 0x39) || row.charCodeAt(j) === 0x3b)) j++;
      if (row.charCodeAt(j) !== 0x6d) return undefined;
      styles = apply(styles, row.slice(i, j + 1));
      i = j;
      continue;
    }
    const w = standaloneCharWidth(c);
    if (w === undefined) return undefined;
    out.push(styledChar(row[i]!, w === 2, styles));
  }
  return out;
}
