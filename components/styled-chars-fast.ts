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

/** A table by styles array, then by string, that stops taking entries past `max` in all (text full of ever new colours cannot grow it without bound). */
class StyleMemo<V> {
  private readonly byStyles = new WeakMap<AnsiCode[], Map<string, V>>();
  size = 0;
  constructor(private readonly max: number) {}
  get(styles: AnsiCode[], key: string): V | undefined {
    return this.byStyles.get(styles)?.get(key);
  }
  set(styles: AnsiCode[], key: string, value: V): void {
    if (this.size >= this.max) return;
    this.size++;
    let m = this.byStyles.get(styles);
    if (m === undefined) this.byStyles.set(styles, (m = new Map()));
    m.set(key, value);
  }
}

/** The styles each SGR sequence leads to from each styles array, and each character in each styles array (past the bounds, made afresh). */
const transitions = new StyleMemo<AnsiCode[]>(4096);
const interned = new StyleMemo<StyledChar>(65_536);
/** How many are remembered now (for tests). */
export const rememberedCounts = () => ({ transitions: transitions.size, chars: interned.size });

function apply(styles: AnsiCode[], seq: string): AnsiCode[] {
  let to = transitions.get(styles, seq);
  if (to === undefined) {
    to = styles;
    for (const t of tokenize(seq)) if (t.type === 'ansi') to = reduceAnsiCodesIncremental(to, [t]);
    if (to.length === 0) to = NONE;
    transitions.set(styles, seq, to);
  }
  return to;
}

function styledChar(value: string, fullWidth: boolean, styles: AnsiCode[]): StyledChar {
  let c = interned.get(styles, value);
  if (c === undefined) {
    c = { type: 'char', value, fullWidth, styles };
    interned.set(styles, value, c);
  }
  return c;
}

/** The styled characters of `row`, or undefined when it holds anything but SGR sequences and standalone characters. */
export function standaloneStyledChars(row: string): StyledChar[] | undefined {
  const out: StyledChar[] = [];
  return eachStandaloneChar(row, out, (o, c) => o.push(c)) ? out : undefined;
}

/**
 * Hands each styled character of `row` to `visit` (with `acc`, so a caller needs no closure),
 * in order; false when the row holds anything but SGR sequences and standalone characters (the
 * characters before that point were visited: the caller drops what it built).
 */
export function eachStandaloneChar<A>(row: string, acc: A, visit: (acc: A, c: StyledChar) => void): boolean {
  let styles = NONE;
  const n = row.length;
  for (let i = 0; i < n; i++) {
    const c = row.charCodeAt(i);
    if (c === 0x1b) {
      // ESC [ digits and ; then m: an SGR sequence. Any other escape is left to tokenize().
      if (row.charCodeAt(i + 1) !== 0x5b) return false;
      let j = i + 2;
      while (j < n && ((row.charCodeAt(j) >= 0x30 && row.charCodeAt(j) <= 0x39) || row.charCodeAt(j) === 0x3b)) j++;
      if (row.charCodeAt(j) !== 0x6d) return false;
      styles = apply(styles, row.slice(i, j + 1));
      i = j;
      continue;
    }
    const w = standaloneCharWidth(c);
    if (w === undefined) return false;
    visit(acc, styledChar(row[i]!, w === 2, styles));
  }
  return true;
}
