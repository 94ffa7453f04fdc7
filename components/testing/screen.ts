/**
 * A small terminal emulator for what Ink writes: text, CR/LF (the tty turns
 * LF into CR LF), cursor moves (CUU, CUD, CNL, CPL, CHA, CUP), erase in line
 * and display, the alternate screen, and xterm's pending wrap at the last
 * column. It shows what a person would see, so tests can compare that with
 * the frame the cockpit meant to draw.
 */
export class Screen {
  private cells: string[][] = [];
  private x = 0;
  private y = 0;
  private pendingWrap = false;
  /** Lines scrolled off the top (a frame taller than the screen does that). */
  scrolled = 0;

  constructor(
    public columns: number,
    public rows: number,
  ) {
    this.clear();
  }

  private blankRow(): string[] {
    return Array.from({ length: this.columns }, () => ' ');
  }

  private clear(): void {
    this.cells = Array.from({ length: this.rows }, () => this.blankRow());
  }

  resize(columns: number, rows: number): void {
    const old = this.cells;
    this.columns = columns;
    this.rows = rows;
    this.clear();
    for (let r = 0; r < Math.min(rows, old.length); r++) for (let c = 0; c < Math.min(columns, old[r]!.length); c++) this.cells[r]![c] = old[r]![c]!;
    this.x = Math.min(this.x, columns - 1);
    this.y = Math.min(this.y, rows - 1);
    this.pendingWrap = false;
  }

  private lineFeed(): void {
    this.pendingWrap = false;
    if (this.y === this.rows - 1) {
      this.cells.shift();
      this.cells.push(this.blankRow());
      this.scrolled++;
    } else this.y++;
  }

  private put(ch: string): void {
    if (this.pendingWrap) {
      this.x = 0;
      this.lineFeed();
    }
    this.cells[this.y]![this.x] = ch;
    if (this.x === this.columns - 1) this.pendingWrap = true;
    else this.x++;
  }

  write(data: string): void {
    const chars = [...data];
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i]!;
      if (ch === '\u001b') {
        const next = chars[i + 1];
        if (next === '[') {
          let j = i + 2;
          let params = '';
          while (j < chars.length && /[0-9;?]/.test(chars[j]!)) params += chars[j++];
          const final = chars[j] ?? '';
          this.csi(params, final);
          i = j;
        } else if (next === 'c') {
          this.clear();
          this.x = this.y = 0;
          i += 1;
        } else if (next === ']') {
          let j = i + 2;
          while (j < chars.length && chars[j] !== '\u0007' && !(chars[j] === '\u001b' && chars[j + 1] === '\\')) j++;
          i = chars[j] === '\u0007' ? j : j + 1;
        } else i += 1;
        continue;
      }
      if (ch === '\n') {
        this.x = 0;
        this.lineFeed();
      } else if (ch === '\r') {
        this.x = 0;
        this.pendingWrap = false;
      } else if (ch >= ' ') this.put(ch);
    }
  }

  private csi(params: string, final: string): void {
    if (params.startsWith('?')) {
      if (params === '?1049' && (final === 'h' || final === 'l')) this.clear();
      return;
    }
    const nums = params.split(';').map((p) => (p === '' ? undefined : Number(p)));
    const n = Math.max(1, nums[0] ?? 1);
    const clampY = (v: number) => Math.min(this.rows - 1, Math.max(0, v));
    switch (final) {
      case 'A':
        this.y = clampY(this.y - n);
        break;
      case 'B':
        this.y = clampY(this.y + n);
        break;
      case 'E':
        this.y = clampY(this.y + n);
        this.x = 0;
        break;
      case 'F':
        this.y = clampY(this.y - n);
        this.x = 0;
        break;
      case 'G':
        this.x = Math.min(this.columns - 1, n - 1);
        break;
      case 'H':
      case 'f':
        this.y = clampY((nums[0] ?? 1) - 1);
        this.x = Math.min(this.columns - 1, Math.max(0, (nums[1] ?? 1) - 1));
        break;
      case 'K': {
        const mode = nums[0] ?? 0;
        const row = this.cells[this.y]!;
        const [from, to] = mode === 0 ? [this.x, this.columns] : mode === 1 ? [0, this.x + 1] : [0, this.columns];
        for (let c = from; c < to; c++) row[c] = ' ';
        break;
      }
      case 'J': {
        const mode = nums[0] ?? 0;
        if (mode === 2 || mode === 3) this.clear();
        else if (mode === 0) {
          for (let c = this.x; c < this.columns; c++) this.cells[this.y]![c] = ' ';
          for (let r = this.y + 1; r < this.rows; r++) this.cells[r] = this.blankRow();
        }
        break;
      }
      default:
        return; // SGR and the rest do not move anything
    }
    this.pendingWrap = false;
  }

  /** The screen's text, one string per row, trailing spaces removed. */
  lines(): string[] {
    return this.cells.map((r) => r.join('').trimEnd());
  }
}
