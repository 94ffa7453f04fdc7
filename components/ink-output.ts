/**
 * Ink's output stage, row by row. Every frame Ink lays the whole tree out
 * into a fresh Output: a grid of one object per cell, each write tokenised
 * into styled characters and copied in, then every row turned back into a
 * string. Profiling a poll frame of the cockpit (160x50) put half the
 * frame's time there, though a poll changes a handful of rows.
 *
 * This wraps Output#get (the class Ink itself uses: the same module file, so
 * one instance, both in the esbuild bundle and under Node's own loader): when
 * every write is one line (the cockpit's rows are), the writes are grouped by
 * row, and a row whose writes are the same as in a frame before (same x,
 * text, clip and transformers, the same frame width and colour level) reuses
 * that row's string; any other row is drawn by Ink's own Output on a one-row
 * grid, with the same operations in the same order, so the result is what Ink
 * would have drawn. A frame with a multi-line write goes to Ink's Output whole.
 *
 * A changed row whose writes sit side by side (none overlapping, none cut by
 * its clip, none outside the frame) is drawn without a grid: Ink's Output
 * makes an object per cell of the row, copies each write's styled characters
 * in and serialises the row again (an allocation profile of the render bench
 * put ~150 MB of 559 MB there). Such a row is the writes' own serialised
 * strings with spaces between them, which is what Ink's serialisation of the
 * grid gives byte for byte (see drawSideBySide); the property test in
 * ink-output.test.ts compares the two on random rows.
 */
import chalk from 'chalk';
import { styledCharsToString, type StyledChar } from '@alcalzone/ansi-tokenize';
import { spaces } from './format.js';
import { standaloneStyledChars } from './styled-chars-fast.js';
// Not in Ink's export map: the file itself, which Ink's renderer imports too.
import Output from '../node_modules/ink/build/output.js';

type Transformer = (line: string, index: number) => string;
interface Clip {
  x1: number | undefined;
  x2: number | undefined;
  y1: number | undefined;
  y2: number | undefined;
}
type Operation = { type: 'write'; x: number; y: number; text: string; transformers: Transformer[] } | { type: 'clip'; clip: Clip } | { type: 'unclip' };
/** Ink's per-Output memo of text widths and styled characters (pure functions of a string). */
interface OutputCaches {
  widths: Map<string, number>;
  blockWidths: Map<string, number>;
  styledChars: Map<string, unknown>;
  getStyledChars(line: string): StyledChar[];
  getStringWidth(text: string): number;
  getWidestLine(text: string): number;
}
interface OutputInternals {
  operations: Operation[];
  width: number;
  height: number;
  caches: OutputCaches;
  get(): { output: string; height: number };
}

/**
 * One set of Ink's Output caches for every row drawn here, kept across frames:
 * a clipped write (every row inside a box with overflow hidden) measures each
 * character with string-width, and a fresh Output per row measured them all
 * again (profile of render-cost, 160x50: string-width 4.8 s of 24.8 s). The
 * entries are pure functions of their string; the set is replaced once it
 * holds more than SHARED_CACHE_ENTRIES.
 */
const SHARED_CACHE_ENTRIES = 20_000;
let sharedCaches: OutputCaches | undefined;
export const sharedCachesStats = { replaced: 0 };
/** The caches the rows are drawn with now (for tests). */
export const outputCachesInUse = (): OutputCaches | undefined => sharedCaches;
function shared(width: number): OutputCaches {
  const c = sharedCaches;
  if (c && c.widths.size + c.blockWidths.size + c.styledChars.size <= SHARED_CACHE_ENTRIES) return c;
  if (c) sharedCachesStats.replaced++;
  pieces.clear();
  const fresh = (new Output({ width, height: 1 }) as unknown as OutputInternals).caches;
  // A row of SGR sequences and standalone characters is read without Ink's tokenize (styled-chars-fast.ts).
  const inkStyledChars = fresh.getStyledChars;
  fresh.getStyledChars = function getStyledChars(this: OutputCaches, line: string) {
    const known = this.styledChars.get(line) as StyledChar[] | undefined;
    if (known !== undefined) return known;
    const chars = standaloneStyledChars(line);
    if (chars === undefined) return inkStyledChars.call(this, line);
    this.styledChars.set(line, chars);
    return chars;
  };
  return (sharedCaches = fresh);
}

/** A one-line string as Ink's Output sees it: its styled characters, their serialisation, the columns they take. */
interface Piece {
  chars: StyledChar[];
  /** styledCharsToString(chars): what Ink writes for these characters on their own. */
  str: string;
  /** Columns the characters take in Output's grid (each at least one). */
  placed: number;
  /** Every character at least one column wide, and together as wide as the string: cutting it at 0 and its width keeps every character. */
  whole: boolean;
}
/** Pieces by string, measured with the shared caches (cleared with them). */
const pieces = new Map<string, Piece>();
function piece(caches: OutputCaches, s: string): Piece {
  let p = pieces.get(s);
  if (p === undefined) {
    const chars = caches.getStyledChars(s);
    let placed = 0;
    let sum = 0;
    let whole = true;
    for (let i = 0; i < chars.length; i++) {
      const w = caches.getStringWidth(chars[i]!.value);
      if (w < 1) whole = false;
      sum += w;
      placed += Math.max(1, w);
    }
    p = { chars, str: styledCharsToString(chars), placed, whole: whole && sum === caches.getStringWidth(s) };
    pieces.set(s, p);
  }
  return p;
}

const bound = (a: number | undefined, b: number | undefined, f: (x: number, y: number) => number) => (a === undefined ? b : b === undefined ? a : f(a, b));
/** Ink's own intersection of nested clips (output.js). */
const intersect = (outer: Clip | undefined, inner: Clip): Clip =>
  outer ? { x1: bound(outer.x1, inner.x1, Math.max), x2: bound(outer.x2, inner.x2, Math.min), y1: bound(outer.y1, inner.y1, Math.max), y2: bound(outer.y2, inner.y2, Math.min) } : inner;

const fnIds = new WeakMap<Transformer, number>();
let nextFnId = 1;
const fnId = (f: Transformer) => {
  let id = fnIds.get(f);
  if (id === undefined) fnIds.set(f, (id = nextFnId++));
  return id;
};

type RowWrite = { op: Extract<Operation, { type: 'write' }>; clip: Clip | undefined };

// (The loops here index their arrays: this stage runs for every row of every frame, and for-of
// allocates an iterator result per step until V8 has optimised the function.)

/**
 * A row of side-by-side writes, as Ink's Output#get would draw it, or
 * undefined when it is not such a row. It follows applyWriteOperation step by
 * step with the same caches: a write cut away by its clip draws nothing; a
 * write inside its clip is "cut" to its whole width, which keeps every
 * character when the piece is whole (sliceLineToColumns then serialises the
 * same characters); the transformers run on the line as in Ink. Ink's grid
 * row serialised is then: blank cells, which add only spaces; each write's
 * characters, whose styles begin from none and end back at none (as their own
 * serialisation does) when a blank or the row's end is beside them; and the
 * continuation cells of wide characters, which add nothing. Two writes that
 * touch with styles on both sides of the seam would differ there, so such a
 * row goes to Ink. trimEnd() drops the trailing blanks either way.
 */
function drawSideBySide(caches: OutputCaches, row: readonly RowWrite[], y: number, width: number): string | undefined {
  const placed: Array<{ x: number; end: number; p: Piece }> = [];
  for (let i = 0; i < row.length; i++) {
    const { op, clip } = row[i]!;
    let line = piece(caches, op.text).str;
    if (clip) {
      if (isClipEmpty(clip)) continue;
      const { x1, x2, y1, y2 } = clip;
      if (x1 !== undefined && x2 !== undefined) {
        if (op.x + caches.getWidestLine(op.text) < x1 || op.x > x2) continue;
      }
      if (y1 !== undefined && y2 !== undefined && (y < y1 || y >= y2)) continue;
      if (x1 !== undefined && x2 !== undefined) {
        const cut = piece(caches, line);
        if (op.x < x1 || op.x + caches.getStringWidth(line) > x2 || !cut.whole) return undefined;
        line = cut.str;
      }
    }
    for (let k = 0; k < op.transformers.length; k++) line = op.transformers[k]!(line, 0);
    const p = piece(caches, line);
    if (p.chars.length === 0) continue;
    if (op.x < 0 || op.x + p.placed > width) return undefined;
    placed.push({ x: op.x, end: op.x + p.placed, p });
  }
  // Writes come in tree order, which is left to right in the cockpit's rows: sorted only when they are not.
  for (let i = 1; i < placed.length; i++) {
    if (placed[i]!.x < placed[i - 1]!.x) {
      placed.sort((a, b) => a.x - b.x);
      break;
    }
  }
  let out = '';
  let col = 0;
  let before: StyledChar | undefined;
  for (let i = 0; i < placed.length; i++) {
    const { x, end, p } = placed[i]!;
    if (x < col) return undefined;
    if (x === col && before && before.styles.length > 0 && p.chars[0]!.styles.length > 0) return undefined;
    out += spaces(x - col) + p.str;
    col = end;
    before = p.chars[p.chars.length - 1];
  }
  return out.trimEnd();
}

const isClipEmpty = (c: Clip) => (c.x1 !== undefined && c.x2 !== undefined && c.x1 >= c.x2) || (c.y1 !== undefined && c.y2 !== undefined && c.y1 >= c.y2);

const visibleAt = (clip: Clip | undefined, y: number) => !clip || ((clip.y1 === undefined || y >= clip.y1) && (clip.y2 === undefined || y < clip.y2));

/** Whether row y's writes draw what `before` drew: the same x, text, horizontal clip, visibility and transformers (what the row key holds). */
function sameWrites(before: readonly RowWrite[], now: readonly RowWrite[], y: number): boolean {
  if (before.length !== now.length) return false;
  for (let i = 0; i < now.length; i++) {
    const a = before[i]!;
    const b = now[i]!;
    if (a.op.x !== b.op.x || a.op.text !== b.op.text || a.clip?.x1 !== b.clip?.x1 || a.clip?.x2 !== b.clip?.x2 || visibleAt(a.clip, y) !== visibleAt(b.clip, y)) return false;
    const fa = a.op.transformers;
    const fb = b.op.transformers;
    if (fa.length !== fb.length) return false;
    for (let k = 0; k < fa.length; k++) if (fa[k] !== fb[k]) return false;
  }
  return true;
}

/**
 * Each row's writes and string in the last frame drawn (at this width and
 * colour level): a row whose writes are the same again is that string again,
 * compared field by field without building its key (a key is the row's whole
 * text: building and hashing one per row per frame was the largest part of
 * this stage's own time in a profile of render-cost).
 */
let lastFrame: { width: number; level: number; rows: Array<{ row: RowWrite[]; text: string } | undefined> } = { width: -1, level: -1, rows: [] };

/** Rows drawn in the last frame and the frame before (two generations: bounded, and a row that flips back is still there). */
let current = new Map<string, string>();
let previous = new Map<string, string>();
export const outputStageStats = { frames: 0, rows: 0, rowsDrawn: 0, rowsSideBySide: 0, wholeFrames: 0 };

const proto = Output.prototype as unknown as OutputInternals;
const inkGet = proto.get;
/** Ink's own Output#get, as it was before the row cache (for tests). */
export const inkOutputGet: (this: unknown) => { output: string; height: number } = inkGet;
let installed = false;

/** Installs the row cache on Ink's Output (once). */
export function installRowCache(): void {
  if (installed) return;
  installed = true;
  proto.get = function get(this: OutputInternals) {
    const { width, height, operations } = this;
    const rows: RowWrite[][] = Array.from({ length: height }, () => []);
    const clips: Clip[] = [];
    for (let i = 0; i < operations.length; i++) {
      const op = operations[i]!;
      if (op.type === 'clip') clips.push(intersect(clips.at(-1), op.clip));
      else if (op.type === 'unclip') clips.pop();
      else {
        if (op.text.includes('\n')) {
          outputStageStats.wholeFrames++;
          return inkGet.call(this);
        }
        if (op.y >= 0 && op.y < height) rows[op.y]!.push({ op, clip: clips.at(-1) });
      }
    }
    outputStageStats.frames++;
    const out: string[] = [];
    const level = chalk.level;
    if (width !== lastFrame.width || level !== lastFrame.level) lastFrame = { width, level, rows: [] };
    for (let y = 0; y < height; y++) {
      const row = rows[y]!;
      const last = lastFrame.rows[y];
      if (last && sameWrites(last.row, row, y)) {
        last.row = row;
        out.push(last.text);
        continue;
      }
      let key = `${width}\u0001${level}`;
      for (let i = 0; i < row.length; i++) {
        const { op, clip } = row[i]!;
        key += `\u0002${op.x}\u0001${clip?.x1}\u0001${clip?.x2}\u0001${visibleAt(clip, y) ? 1 : 0}\u0001${op.transformers.map(fnId).join(',')}\u0001${op.text}`;
      }
      let text = current.get(key) ?? previous.get(key);
      if (text === undefined) {
        text = drawSideBySide(shared(width), row, y, width);
        if (text !== undefined) outputStageStats.rowsSideBySide++;
        else {
          const one = new Output({ width, height: 1 }) as unknown as OutputInternals;
          one.caches = shared(width);
          for (const { op, clip } of row) {
            if (clip) one.operations.push({ type: 'clip', clip: { ...clip, y1: clip.y1 === undefined ? undefined : clip.y1 - y, y2: clip.y2 === undefined ? undefined : clip.y2 - y } });
            one.operations.push({ ...op, y: 0 });
            if (clip) one.operations.push({ type: 'unclip' });
          }
          text = inkGet.call(one).output;
        }
        outputStageStats.rowsDrawn++;
      }
      current.set(key, text);
      lastFrame.rows[y] = { row, text };
      out.push(text);
    }
    outputStageStats.rows += height;
    // Keep this frame's rows and the frame before's.
    if (current.size >= 2 * height + 64) {
      previous = current;
      current = new Map();
    }
    return { output: out.join('\n'), height };
  };
}

installRowCache();
