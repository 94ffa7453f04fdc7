/**
 * A cell-diff output stage for Ink. Ink's incremental renderer compares a
 * frame with the last one line by line and rewrites a changed line from its
 * first changed character to the end (erase-to-end, then the rest of the
 * line with its styles): a two-character value change in the middle of a
 * 160-column row costs the whole tail of that row. Measured against the
 * changed cells' own bytes (bench/cells-floor.ts), a one-value update cost
 * 4.6x that floor.
 *
 * This keeps the last frame written to the terminal as rows of cells
 * (character, its SGR style, wide characters two columns) and, for each new
 * frame from Ink, writes only the runs of cells that differ: a cursor move to
 * the run, an SGR change only where the style changes (the smallest change
 * from the style in force, @alcalzone/ansi-tokenize's diffAnsiCodes, the same
 * library Ink draws its rows with), the characters, an erase-to-end where the
 * row now ends earlier, and a reset at the end. A row whose string did not
 * change is not looked at; a frame with another number of lines, another
 * terminal width, or the first frame is drawn whole (as Ink does).
 *
 * It is Ink's own log-update with another body: installCellOutput() replaces
 * `create` on Ink's log-update module object (the one ink.js calls, in the
 * esbuild bundle and under Node's loader alike) for the streams passed through
 * cellOutputStream(); every other stream gets Ink's renderer unchanged. All
 * cursor-relative writes of a frame go through this object (render, clear,
 * sync, done), so it tracks where the cursor is and moves relative to it
 * (CUU/CUD/CNL/CPL, CHA): correct on the alternate screen and on the primary
 * one alike.
 */
import { ansiCodesToString, diffAnsiCodes, reduceAnsiCodesIncremental, tokenize, type AnsiCode, type StyledChar } from '@alcalzone/ansi-tokenize';
import { eachStandaloneChar } from './styled-chars-fast.js';
// Not in Ink's export map: the module object ink.js itself imports.
import logUpdate from '../node_modules/ink/build/log-update.js';

type LogUpdate = ReturnType<typeof logUpdate.create>;
type Stream = Parameters<typeof logUpdate.create>[0];
interface CursorPosition {
  x: number;
  y: number;
}

/** One terminal cell. A wide character's second column is a cell with `cont` set. */
export interface Cell {
  ch: string;
  /** The reduced SGR codes in force for this cell. */
  styles: AnsiCode[];
  /** The styles as one comparable string ('' = default). */
  key: string;
  wide: boolean;
  cont: boolean;
}

const BLANK: Cell = { ch: ' ', styles: [], key: '', wide: false, cont: false };
const ESC = '\u001b[';
const SHOW_CURSOR = '\u001b[?25h';
const HIDE_CURSOR = '\u001b[?25l';
const ERASE_DOWN = `${ESC}J`;
const ERASE_LINE_END = `${ESC}K`;
/** Unchanged cells between two runs of a row are rewritten rather than jumped over when there are at most this many (a cursor move costs 4–5 bytes). */
const MAX_GAP = 3;

const styleKeys = new WeakMap<AnsiCode[], string>();
const keyOf = (styles: AnsiCode[]): string => {
  if (styles.length === 0) return '';
  let k = styleKeys.get(styles);
  if (k === undefined) styleKeys.set(styles, (k = ansiCodesToString(styles)));
  return k;
};

/**
 * One of Ink's output rows (text and escape codes) as cells, as the terminal
 * shows them: the characters and styles @alcalzone/ansi-tokenize gives them
 * (the styles reduced once per escape code, not copied for every character:
 * the cells of a run share one styles array). A cockpit row (SGR sequences
 * and standalone characters) is read by eachStandaloneChar, without
 * ansi-tokenize's grapheme segmenting (~1 µs a character); any other row
 * (another escape, a combining mark, an emoji, CJK) goes to ansi-tokenize.
 */
export function parseRow(line: string): Cell[] {
  const cells: Cell[] = [];
  return eachStandaloneChar(line, cells, pushCell) ? cells : parseTokens(tokenize(line));
}

function parseTokens(tokens: ReturnType<typeof tokenize>): Cell[] {
  const cells: Cell[] = [];
  let styles: AnsiCode[] = [];
  let key = '';
  for (const t of tokens) {
    if (t.type === 'ansi') {
      styles = reduceAnsiCodesIncremental(styles, [t]);
      key = keyOf(styles);
    } else if (t.type === 'char') {
      cells.push({ ch: t.value, styles, key, wide: t.fullWidth, cont: false });
      if (t.fullWidth) cells.push({ ch: '', styles, key, wide: false, cont: true });
    }
  }
  return cells;
}

/** The cell of each styled character (one per character: they are interned, as the styles are). */
const cellOf = new WeakMap<StyledChar, Cell>();
const contOf = new WeakMap<AnsiCode[], Cell>();

/** Appends the cell of an interned styled character (eachStandaloneChar): shared objects, not one per character of each row. */
function pushCell(cells: Cell[], c: StyledChar): void {
  let cell = cellOf.get(c);
  if (cell === undefined) cellOf.set(c, (cell = { ch: c.value, styles: c.styles, key: keyOf(c.styles), wide: c.fullWidth, cont: false }));
  cells.push(cell);
  if (c.fullWidth) {
    let cont = contOf.get(c.styles);
    if (cont === undefined) contOf.set(c.styles, (cont = { ch: '', styles: c.styles, key: cell.key, wide: false, cont: true }));
    cells.push(cont);
  }
}

/** Parsed rows of the last two frames, by row string (two generations: bounded, and a row that flips back is still there). */
class RowCache {
  private current = new Map<string, Cell[]>();
  private previous = new Map<string, Cell[]>();
  get(line: string): Cell[] {
    let cells = this.current.get(line);
    if (cells === undefined) {
      cells = this.previous.get(line) ?? parseRow(line);
      this.current.set(line, cells);
      if (this.current.size > 512) {
        this.previous = this.current;
        this.current = new Map();
      }
    }
    return cells;
  }
}

const same = (a: Cell, b: Cell) => a.ch === b.ch && a.key === b.key;
const isBlank = (c: Cell) => c.ch === ' ' && c.key === '';

/**
 * Writes terminal output for a frame; tracks the cursor (row from the frame's
 * top; column, or undefined after the last column, where xterm defers the wrap).
 */
class Writer {
  out = '';
  styles: AnsiCode[] = [];
  constructor(
    public row: number,
    public col: number | undefined,
  ) {}
  moveTo(y: number, x: number): void {
    const dy = y - this.row;
    if (dy === 0) {
      if (this.col === x) return;
      this.out += x === 0 ? '\r' : `${ESC}${x + 1}G`;
    } else if (x === 0) {
      const n = Math.abs(dy);
      this.out += `${ESC}${n === 1 ? '' : n}${dy > 0 ? 'E' : 'F'}`;
    } else {
      const n = Math.abs(dy);
      this.out += `${ESC}${n === 1 ? '' : n}${dy > 0 ? 'B' : 'A'}`;
      if (this.col !== x) this.out += `${ESC}${x + 1}G`;
    }
    this.row = y;
    this.col = x;
  }
  style(to: AnsiCode[]): void {
    if (keyOf(to) === keyOf(this.styles)) return;
    this.out += ansiCodesToString(diffAnsiCodes(this.styles, to));
    this.styles = to;
  }
  put(cell: Cell, columns: number): void {
    this.style(cell.styles);
    this.out += cell.ch;
    const next = (this.col ?? 0) + (cell.wide ? 2 : 1);
    this.col = next >= columns ? undefined : next;
  }
  eraseToEnd(): void {
    // Erase fills with the current background: erase with the default style.
    this.style([]);
    this.out += ERASE_LINE_END;
  }
}

/**
 * The changed cells of one row, written: runs of differing cells (a wide
 * character whole, in either frame), short unchanged gaps rewritten rather
 * than jumped over, and the end of the row erased where the new row is blank.
 */
export function diffRow(w: Writer, y: number, before: Cell[], after: Cell[], columns: number): void {
  const at = (r: Cell[], x: number) => r[x] ?? BLANK;
  const changed = new Uint8Array(columns);
  let any = false;
  for (let x = 0; x < columns; x++) {
    if (!same(at(before, x), at(after, x))) {
      changed[x] = 1;
      any = true;
    }
  }
  if (!any) return;
  // A wide character changes as a whole, in the old frame and the new.
  for (let pass = 0, grew = true; grew && pass < 4; pass++) {
    grew = false;
    for (let x = 0; x < columns; x++) {
      if (!changed[x]) continue;
      for (const r of [before, after]) {
        const c = at(r, x);
        if (c.wide && x + 1 < columns && !changed[x + 1]) {
          changed[x + 1] = 1;
          grew = true;
        }
        if (c.cont && x > 0 && !changed[x - 1]) {
          changed[x - 1] = 1;
          grew = true;
        }
      }
    }
  }
  // Where the new row is blank to its end, one erase covers every change there.
  let blankFrom = columns;
  while (blankFrom > 0 && isBlank(at(after, blankFrom - 1))) blankFrom--;
  let x = 0;
  while (x < columns) {
    if (!changed[x]) {
      x++;
      continue;
    }
    if (x >= blankFrom) {
      w.moveTo(y, x);
      w.eraseToEnd();
      return;
    }
    // A run: through changed cells and gaps of at most MAX_GAP unchanged ones (not past the blank tail).
    let end = x;
    for (let k = x; k < blankFrom; k++) {
      if (changed[k]) end = k + 1;
      else if (k - end >= MAX_GAP - 1) break;
    }
    w.moveTo(y, x);
    for (let k = x; k < end; k++) {
      const c = at(after, k);
      if (!c.cont) w.put(c, columns);
    }
    x = end;
  }
}

const streams = new WeakSet<object>();

/** Marks `stream` so that Ink, rendering to it, writes through the cell-diff stage; returns it. */
export function cellOutputStream<T extends object>(stream: T): T {
  installCellOutput();
  streams.add(stream);
  return stream;
}

/** Ink's log-update contract (render, clear, done, reset, sync, cursor) drawn by cell diff. */
export function createCellOutput(stream: Stream, { showCursor = false }: { showCursor?: boolean } = {}): LogUpdate {
  const rows = new RowCache();
  /** The last frame as Ink gave it, its lines (split on \n, a trailing '' included). */
  let previousOutput = '';
  let previousLines: string[] = [];
  let previousColumns = stream.columns;
  // Where the cursor is, relative to the frame's top row.
  let row = 0;
  let col: number | undefined = 0;
  let hasHiddenCursor = false;
  let cursorPosition: CursorPosition | undefined;
  let isCursorDirty = false;
  let previousCursorPosition: CursorPosition | undefined;
  let wasCursorShown = false;
  const getActiveCursor = () => (isCursorDirty ? cursorPosition : undefined);
  const cursorChanged = (a: CursorPosition | undefined, b: CursorPosition | undefined) => a?.x !== b?.x || a?.y !== b?.y;
  const hasChanges = (text: string, active: CursorPosition | undefined) => text !== previousOutput || cursorChanged(active, previousCursorPosition);
  const visible = (lines: string[], text: string) => (text.endsWith('\n') ? lines.length - 1 : lines.length);
  /** Where the cursor is after `text` was written whole from the frame's top left. */
  const endOf = (lines: string[]) => {
    row = lines.length - 1;
    col = lines.at(-1) === '' ? 0 : undefined;
  };
  const toTop = () => (previousLines.length === 0 ? '' : (row > 0 ? `${ESC}${row === 1 ? '' : row}F` : '\r') + ERASE_DOWN);

  const render = ((text: string): boolean => {
    if (!showCursor && !hasHiddenCursor && stream.isTTY) {
      stream.write(HIDE_CURSOR);
      hasHiddenCursor = true;
    }
    const active = getActiveCursor();
    isCursorDirty = false;
    if (!hasChanges(text, active)) return false;
    const lines = text.split('\n');
    const columns = stream.columns ?? 80;
    let out = '';
    if (wasCursorShown && !active) out += HIDE_CURSOR;
    if (text !== previousOutput) {
      if (previousOutput === '' || columns !== previousColumns || lines.length !== previousLines.length || text === '\n') {
        // The first frame, a new width or another height: the whole frame, from its top.
        out += toTop() + text;
        endOf(lines);
      } else {
        const w = new Writer(row, col);
        const n = visible(lines, text);
        for (let y = 0; y < n; y++) {
          if (lines[y] === previousLines[y]) continue;
          diffRow(w, y, rows.get(previousLines[y]!), rows.get(lines[y]!), columns);
        }
        w.style([]);
        out += w.out;
        row = w.row;
        col = w.col;
      }
    }
    if (active) out += cursorTo(active);
    if (out !== '') stream.write(out);
    previousOutput = text;
    previousLines = lines;
    previousColumns = columns;
    previousCursorPosition = active ? { ...active } : undefined;
    wasCursorShown = active !== undefined;
    return true;
  }) as LogUpdate;

  /** The move to where Ink asked for the cursor, and the cursor shown there. */
  function cursorTo(active: CursorPosition): string {
    const w = new Writer(row, col);
    w.moveTo(active.y, active.x);
    row = w.row;
    col = w.col;
    return w.out + SHOW_CURSOR;
  }

  const forget = () => {
    previousOutput = '';
    previousLines = [];
    previousCursorPosition = undefined;
    wasCursorShown = false;
  };
  render.clear = () => {
    const out = toTop();
    if (out !== '') stream.write(out);
    row = 0;
    col = 0;
    forget();
  };
  render.done = () => {
    // Leave the cursor below the frame (where Ink leaves it), shown again.
    if (previousLines.length > 0) {
      const w = new Writer(row, col);
      const last = previousLines.length - 1;
      // After the last line's text, as Ink's renderer leaves it.
      w.moveTo(last, Math.min(rows.get(previousLines[last]!).length, (stream.columns ?? 80) - 1));
      if (w.out !== '') stream.write(w.out);
    }
    forget();
    row = 0;
    col = 0;
    if (showCursor) return;
    if (stream.isTTY) stream.write(SHOW_CURSOR);
    hasHiddenCursor = false;
  };
  render.reset = () => {
    forget();
    row = 0;
    col = 0;
  };
  render.sync = (text: string) => {
    const active = isCursorDirty ? cursorPosition : undefined;
    isCursorDirty = false;
    const lines = text.split('\n');
    previousOutput = text;
    previousLines = lines;
    previousColumns = stream.columns;
    endOf(lines);
    let out = '';
    if (!active && wasCursorShown) out += HIDE_CURSOR;
    if (active) out += cursorTo(active);
    if (out !== '') stream.write(out);
    previousCursorPosition = active ? { ...active } : undefined;
    wasCursorShown = active !== undefined;
  };
  render.setCursorPosition = (position: CursorPosition | undefined) => {
    cursorPosition = position;
    isCursorDirty = true;
  };
  render.isCursorDirty = () => isCursorDirty;
  render.willRender = (text: string) => hasChanges(text, getActiveCursor());
  render.getCursorPosition = () => previousCursorPosition;
  return render;
}

const inkCreate = logUpdate.create;
let installed = false;

/** Makes Ink use the cell-diff stage for streams marked by cellOutputStream() (once). */
export function installCellOutput(): void {
  if (installed) return;
  installed = true;
  (logUpdate as { create: typeof inkCreate }).create = (stream, options) => (streams.has(stream) ? createCellOutput(stream, options) : inkCreate(stream, options));
}

export { Writer as CellWriter };
