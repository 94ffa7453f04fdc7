/** The first line of every panel: its name (inverse when focused) and a summary that stands in for the panel when it is collapsed. */
import { line, seg, type LineSpec, type Seg } from './Line.js';
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
