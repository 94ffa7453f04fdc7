/** One activity line (Enter in ACTIVITY) or alert (Enter in ALERTS) shown whole: the time and the text wrapped to the width. */
import React from 'react';
import { chunk, formatClock } from './format.js';
import { Lines, line, seg } from './Line.js';
import { panelTitle } from './PanelTitle.js';
import type { Token } from './theme.js';
import { useTheme } from './ThemeContext.js';

export function LineDetail(p: { at: number; text: string; tok: Token; title?: string; width: number; height: number; scroll: number; utc?: boolean }) {
  const theme = useTheme();
  const wrapped = chunk(p.text, Math.max(10, p.width - 2), 1000, theme.glyphs.ellipsis);
  const rows = Math.max(0, p.height - 1);
  const start = Math.min(Math.max(0, p.scroll), Math.max(0, wrapped.length - rows));
  const lines = [
    panelTitle(theme, p.title ?? 'ACTIVITY LINE', true, [seg(formatClock(p.at, p.utc), 'muted')], 'Esc back'),
    ...wrapped.slice(start, start + rows).map((w) => line(seg(`  ${w}`, p.tok))),
  ];
  return <Lines lines={lines} width={p.width} height={p.height} />;
}
