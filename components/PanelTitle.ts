/** The first line of every panel: its name (inverse when focused) and a summary that stands in for the panel when it is collapsed. */
import { line, seg, type LineSpec, type Seg } from './Line.js';
import { windowStart } from './layout.js';
import type { Theme } from './theme.js';

export function panelTitle(theme: Theme, name: string, focused: boolean, summary: Seg[], right?: string): LineSpec {
  const r = theme.glyphs.rule;
  return line(
    seg(`${r}${r} `, 'muted'),
    seg(name, focused ? 'focusTitle' : 'title'),
    seg(' ', 'muted'),
    ...summary,
    right ? seg(`  ${right}`, 'muted') : undefined,
  );
}

/** "12-20/40" when a list does not fit, else "". */
export function rangeText(start: number, shown: number, total: number): string {
  if (total <= shown || shown <= 0) return '';
  return `${start + 1}-${start + shown}/${total}`;
}

export interface ListWindow<T> {
  /** Index in the list of the selected item (0 when none or gone). */
  selIndex: number;
  start: number;
  shown: T[];
  /** The title's right side: the filter and its count, the range shown. */
  right: string;
}

/**
 * The rows of a sorted, filtered list that a panel of `rows` content rows
 * shows (following the selection while focused), and its title's right text.
 */
export function listWindow<T>(
  list: readonly T[],
  total: number,
  rows: number,
  o: { top: number; focused: boolean; filter: string; editing: boolean; selected: string | undefined; key(item: T): string },
): ListWindow<T> {
  const selIndex = o.selected === undefined ? 0 : Math.max(0, list.findIndex((x) => o.key(x) === o.selected));
  const start = windowStart(list.length, rows, o.top, o.focused ? selIndex : -1);
  const shown = list.slice(start, start + rows);
  const filter = o.filter || o.editing ? `filter "${o.filter}" ${list.length}/${total}` : '';
  const right = [filter, rangeText(start, shown.length, list.length)].filter(Boolean).join('  ');
  return { selIndex, start, shown, right };
}
