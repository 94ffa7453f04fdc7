/**
 * The floor of any renderer for one update: the bytes that changed cells
 * cost on their own. Two frames (Ink's styled output for the state before and
 * after) are parsed into cells with their style (SGR attributes); the cells
 * that differ are grouped into runs per row, and each run costs a cursor move
 * to its start (CUP), one SGR sequence wherever the style changes along it
 * (reset and set, `ESC[0;…m`), and its characters (UTF-8); one reset at the end.
 */

interface Cell {
  ch: string;
  /** The SGR parameters in force, canonical ('' = default). */
  style: string;
}

const SGR = /\u001b\[([0-9;]*)m/y;

/** Parses one line of Ink's output (text and SGR sequences) into cells. */
export function parseLine(line: string): Cell[] {
  const attrs = new Map<string, string>();
  const cells: Cell[] = [];
  let i = 0;
  const style = () => [...attrs.values()].sort().join(';');
  while (i < line.length) {
    SGR.lastIndex = i;
    const m = SGR.exec(line);
    if (m) {
      applySgr(attrs, m[1] ?? '');
      i = SGR.lastIndex;
      continue;
    }
    const cp = line.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    cells.push({ ch, style: style() });
    i += ch.length;
  }
  return cells;
}

function applySgr(attrs: Map<string, string>, params: string): void {
  const ps = params === '' ? ['0'] : params.split(';');
  for (let k = 0; k < ps.length; k++) {
    const p = Number(ps[k]);
    if (p === 0) attrs.clear();
    else if (p === 1) attrs.set('bold', '1');
    else if (p === 2) attrs.set('dim', '2');
    else if (p === 22) {
      attrs.delete('bold');
      attrs.delete('dim');
    } else if (p === 3 || p === 4 || p === 7 || p === 9) attrs.set(`a${p}`, String(p));
    else if (p === 23 || p === 24 || p === 27 || p === 29) attrs.delete(`a${p - 20}`);
    else if ((p >= 30 && p <= 37) || (p >= 90 && p <= 97)) attrs.set('fg', String(p));
    else if (p === 39) attrs.delete('fg');
    else if ((p >= 40 && p <= 47) || (p >= 100 && p <= 107)) attrs.set('bg', String(p));
    else if (p === 49) attrs.delete('bg');
    else if (p === 38 || p === 48) {
      const n = ps[k + 1] === '5' ? 2 : 4;
      attrs.set(p === 38 ? 'fg' : 'bg', ps.slice(k, k + 1 + n).join(';'));
      k += n;
    }
  }
}

const sgrBytes = (style: string) => `\u001b[0${style ? ';' + style : ''}m`.length;

/** Bytes the changed cells between two frames (Ink's output strings, rows joined by \n) cost on their own. */
export function changedCellsBytes(before: string, after: string): { bytes: number; cells: number } {
  const a = before.split('\n');
  const b = after.split('\n');
  let bytes = 0;
  let cells = 0;
  let current = '';
  for (let y = 0; y < Math.max(a.length, b.length); y++) {
    const ra = parseLine(a[y] ?? '');
    const rb = parseLine(b[y] ?? '');
    let inRun = false;
    for (let x = 0; x < Math.max(ra.length, rb.length); x++) {
      const ca = ra[x] ?? { ch: ' ', style: '' };
      const cb = rb[x] ?? { ch: ' ', style: '' };
      if (ca.ch === cb.ch && ca.style === cb.style) {
        inRun = false;
        continue;
      }
      cells++;
      if (!inRun) bytes += `\u001b[${y + 1};${x + 1}H`.length;
      inRun = true;
      if (cb.style !== current) {
        bytes += sgrBytes(cb.style);
        current = cb.style;
      }
      bytes += Buffer.byteLength(cb.ch);
    }
  }
  if (current !== '') bytes += sgrBytes('');
  return { bytes, cells };
}
