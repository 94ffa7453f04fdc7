/** Activity log: engine events and the CLI's lines, "HH:MM:SS text", newest at the bottom. */
import React from 'react';
import type { ActivityEntry } from './activity.js';
import { formatClock } from './format.js';
import { Lines, line, seg, type LineSpec } from './Line.js';
import { panelTitle } from './PanelTitle.js';
import type { Theme } from './theme.js';
import { useTheme } from './ThemeContext.js';

export interface ActivityLogProps {
  entries: readonly ActivityEntry[];
  /** Rows scrolled back from the newest. */
  back: number;
  width: number;
  height: number;
  focused: boolean;
  utc?: boolean;
}

export function activityLines(p: ActivityLogProps, theme: Theme): LineSpec[] {
  const rows = Math.max(0, p.height - 1);
  const n = p.entries.length;
  const back = Math.min(Math.max(0, p.back), Math.max(0, n - rows));
  const end = n - back;
  const shown = p.entries.slice(Math.max(0, end - rows), end);
  const newest = p.entries[n - 1];
  const summary =
    rows === 0 && newest
      ? [seg(`${formatClock(newest.at, p.utc)} `, 'muted'), seg(newest.text, newest.tok)]
      : [seg(n === 0 ? 'nothing yet' : `${n} line${n === 1 ? '' : 's'}`, 'muted')];
  const right = back > 0 ? `${back} newer below` : '';
  const out: LineSpec[] = [panelTitle(theme, 'ACTIVITY', p.focused, summary, right)];
  for (const e of shown) out.push(line(seg(`${formatClock(e.at, p.utc)} `, 'muted'), seg(e.text, e.tok)));
  return out;
}

/** Draws nothing from the clock: re-renders only when its props change. */
export const ActivityLog = React.memo(function ActivityLog(p: ActivityLogProps) {
  const theme = useTheme();
  return <Lines lines={activityLines(p, theme)} width={p.width} height={p.height} />;
});
