/** The `?` overlay: every binding of the keymap, in as many columns as the height needs. */
import React from 'react';
import { Box } from 'ink';
import { KEYMAP, bindingLabel } from './keymap.js';
import { Lines, line, seg, type LineSpec } from './Line.js';
import { panelTitle } from './PanelTitle.js';
import type { Theme } from './theme.js';
import { useTheme } from './ThemeContext.js';

const READONLY_OFF = new Set(['promote', 'rollback', 'signoff']);

export function helpEntries(readonly: boolean): LineSpec[] {
  const keyW = Math.max(...KEYMAP.map((b) => bindingLabel(b).length)) + 2;
  const out: LineSpec[] = [];
  for (const b of KEYMAP) {
    if (b.group === 'Dialogs' && out.length === KEYMAP.findIndex((x) => x.group === 'Dialogs')) out.push(line(seg('In a dialog (it gets every key; letters go into its fields, q elsewhere asks to quit):', 'title')));
    const off = readonly && READONLY_OFF.has(b.action);
    out.push(line(seg(bindingLabel(b).padEnd(keyW, ' '), off ? 'off' : 'accent'), seg(b.description + (off ? ' (read-only: disabled)' : ''), off ? 'off' : 'text')));
  }
  return out;
}

export function helpColumns(width: number, height: number, readonly: boolean, theme: Theme): { title: LineSpec; columns: LineSpec[][]; colWidth: number } {
  const entries = helpEntries(readonly);
  const rows = Math.max(1, height - 1);
  const n = Math.ceil(entries.length / rows);
  const colWidth = Math.floor((width - (n - 1) * 2) / n);
  const columns: LineSpec[][] = [];
  for (let i = 0; i < n; i++) columns.push(entries.slice(i * rows, (i + 1) * rows));
  return { title: panelTitle(theme, 'KEYS', true, [seg('one keymap drives the keys and this list', 'muted')], 'Esc or ? closes'), columns, colWidth };
}

export function HelpOverlay({ width, height, readonly }: { width: number; height: number; readonly: boolean }) {
  const theme = useTheme();
  const { title, columns, colWidth } = helpColumns(width, height, readonly, theme);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Lines lines={[title]} width={width} height={1} />
      <Box flexDirection="row" height={Math.max(0, height - 1)}>
        {columns.map((c, i) => (
          <Box key={i} marginRight={i < columns.length - 1 ? 2 : 0}>
            <Lines lines={c} width={colWidth} height={Math.max(0, height - 1)} />
          </Box>
        ))}
      </Box>
    </Box>
  );
}
