/**
 * string-width, without segmenting text whose characters each stand alone.
 *
 * string-width segments a string into graphemes (Intl.Segmenter) unless it
 * is printable ASCII, and allocates for each grapheme (the segment, an
 * array of its code points): a cockpit row holds SGR codes and glyphs such
 * as ● │ ─ ✓ ▶, so every new row Ink measured (its width for the layout,
 * its width again in Output) took that path. An allocation profile of the
 * render bench (160x50, poll frames) put ~110 MB of 678 MB there.
 *
 * A string whose code points all come from ranges where no character joins
 * its neighbours into a grapheme (no combining marks, joiners, variation
 * selectors, Hangul jamo, surrogates or controls) is as wide as the sum of
 * its characters' widths (each its East Asian Width, remembered: charWidth);
 * CSI escape sequences (ESC [ params final) count 0, as string-width strips
 * them. Anything else goes to string-width whole. The program's bundle
 * (scripts/build.mjs) gives this module to the packages in node_modules that
 * import 'string-width' (Ink, wrap-ansi, cli-truncate, slice-ansi, widest-line).
 */
import { eastAsianWidth } from 'get-east-asian-width';
import stringWidth from 'string-width';

type Options = Parameters<typeof stringWidth>[1];

/** Ranges (inclusive) of code points that never join a neighbour: see above. */
export const STANDALONE: ReadonlyArray<readonly [number, number]> = [
  [0x20, 0x7e], // ASCII printable
  [0xa0, 0xac], // Latin-1 (U+00AD soft hyphen left out)
  [0xae, 0x24f], // Latin-1, Latin Extended-A and -B
  [0x2010, 0x2027], // dashes, quotes, bullets, ellipsis
  [0x2030, 0x205e], // per mille … (no joiners, no invisible operators)
  [0x2070, 0x209f], // superscripts and subscripts
  [0x20a0, 0x20cf], // currency symbols (€)
  [0x2100, 0x218f], // letterlike symbols (™), number forms
  [0x2190, 0x23ff], // arrows, mathematical operators, miscellaneous technical
  [0x2500, 0x27ff], // box drawing, block elements, geometric shapes, symbols, dingbats, arrows (⟳)
  [0x2800, 0x2bff], // braille (spinners), arrows, mathematical symbols, miscellaneous symbols
];

function standalone(c: number): boolean {
  // (Indexed: asked for every non-ASCII character of every row read; destructuring allocated per range.)
  for (let i = 0; i < STANDALONE.length; i++) if (c >= STANDALONE[i]![0] && c <= STANDALONE[i]![1]) return true;
  return false;
}

/** The width of a standalone character (a UTF-16 code unit), or undefined when `c` is not one. */
export function standaloneCharWidth(c: number): number | undefined {
  if (c >= 0x20 && c <= 0x7e) return 1;
  return standalone(c) ? charWidth(c) : undefined;
}

/** Widths of single characters, as string-width gives them (only standalone ones are kept). */
const widths = new Map<number, number>();

/**
 * A standalone character's width: its East Asian Width, which is what
 * string-width gives a cluster of one such code point (in these ranges the
 * emoji it counts 2, such as ⌚ ☔ ✅, are East Asian Wide too; the tests
 * compare every character of the ranges with string-width). Asked directly
 * rather than of string-width, whose first non-ASCII call sets up a grapheme
 * segmenter and compiles its emoji and property regexes: ~50 ms on the way
 * to the cockpit's first frame.
 */
function charWidth(c: number): number {
  let w = widths.get(c);
  if (w === undefined) widths.set(c, (w = eastAsianWidth(c, { ambiguousAsWide: false })));
  return w;
}

/** The width of `s`, or -1 when it holds anything but standalone characters and CSI sequences. */
function standaloneWidth(s: string): number {
  let width = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e) {
      width++;
      continue;
    }
    if (c === 0x1b) {
      // ESC [ parameters final: what string-width strips; any other escape is left to it.
      if (s.charCodeAt(i + 1) !== 0x5b) return -1;
      let j = i + 2;
      while (j < n && ((s.charCodeAt(j) >= 0x30 && s.charCodeAt(j) <= 0x39) || s.charCodeAt(j) === 0x3b)) j++;
      const f = s.charCodeAt(j);
      if (!(f >= 0x40 && f <= 0x7e)) return -1;
      i = j;
      continue;
    }
    if (!standalone(c)) return -1;
    width += charWidth(c);
  }
  return width;
}

export default function fastStringWidth(input: string, options?: Options): number {
  if (typeof input !== 'string' || input.length === 0) return 0;
  if (options && (options.countAnsiEscapeCodes || options.ambiguousIsNarrow === false)) return stringWidth(input, options);
  const w = standaloneWidth(input);
  return w >= 0 ? w : stringWidth(input, options);
}
