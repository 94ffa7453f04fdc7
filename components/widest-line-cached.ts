/**
 * widest-line with a memory: the width of the widest line of a text, as the
 * `widest-line` package computes it (string-width per line: ANSI codes
 * stripped, graphemes segmented, East Asian wide characters counted 2), for
 * a text seen in the last two generations of frames looked up instead.
 *
 * Ink measures every <Text> this way on every frame (render-node-to-output:
 * `widestLine(text)` before deciding to wrap), though the cockpit's rows
 * rarely change: profiling the idle cockpit at 160x50 put 44 % of Ink's
 * frame time in string-width. The program's bundle (scripts/build.mjs) gives
 * Ink this module where it imports 'widest-line'.
 */
import widestLine from 'widest-line';

/** Texts measured, per generation; a generation holds at most this many. */
const GENERATION = 4096;
let current = new Map<string, number>();
let previous = new Map<string, number>();

export default function cachedWidestLine(text: string): number {
  let w = current.get(text);
  if (w !== undefined) return w;
  w = previous.get(text) ?? widestLine(text);
  if (current.size >= GENERATION) {
    previous = current;
    current = new Map();
  }
  current.set(text, w);
  return w;
}
