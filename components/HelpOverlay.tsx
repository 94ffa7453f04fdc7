/** The `?` overlay: every binding of the keymap, in as many columns as the height needs. */
import React from 'react';
import { Box } from 'ink';
import { KEYMAP, bindingLabel } from './keymap.js';
import { Lines, line, seg, type LineSpec } from './Line.js';
import { panelTitle } from './PanelTitle.js';
import type { Theme } from './theme.js';
import type { ExtraKey } from '../src/ui-contract.js';
import { extraKeyLabel } from './extra-keys.js';
import { useTheme } from './ThemeContext.js';


interface HelpEntry {
  label: string;
  description: string;
  off: boolean;
  /** A heading line instead of a binding. */
  heading?: boolean;
}

/** Every binding of the keymap, with a heading before the dialogs' keys. */
export function helpEntries(readonly: boolean, extraKeys: readonly ExtraKey[] = []): HelpEntry[] {
  const out: HelpEntry[] = [];
  if (extraKeys.length) {
    out.push({ label: 'This view:', description: '', off: false, heading: true });
    for (const k of extraKeys) out.push({ label: extraKeyLabel(k), description: k.label, off: false });
    out.push({ label: 'Cockpit:', description: '', off: false, heading: true });
  }
  for (const b of KEYMAP) {
    if (b.scope === 'filter' && !out.some((e) => e.heading && e.label.startsWith('While filtering'))) out.push({ label: 'While filtering (letters are typed):', description: '', off: false, heading: true });
    if (b.scope === 'dialog' && !out.some((e) => e.heading && e.label.startsWith('In a dialog'))) out.push({ label: 'In a dialog (letters are typed):', description: '', off: false, heading: true });
    // Read-only drops the bindings that act on production.
    const off = readonly && !!b.dangerous;
    out.push({ label: bindingLabel(b), description: b.description + (off ? ' (read-only: disabled)' : ''), off });
  }
  return out;
}

/** A column of entries, its keys padded to the column's longest. */
function columnLines(entries: readonly HelpEntry[]): LineSpec[] {
  const keyW = Math.max(0, ...entries.filter((e) => !e.heading).map((e) => e.label.length)) + 2;
  return entries.map((e) =>
    e.heading ? line(seg(e.label, 'title')) : line(seg(e.label.padEnd(keyW, ' '), e.off ? 'off' : 'accent'), seg(e.description, e.off ? 'off' : 'text')),
  );
}

export function helpColumns(width: number, height: number, readonly: boolean, theme: Theme, extraKeys: readonly ExtraKey[] = []): { title: LineSpec; columns: LineSpec[][]; colWidth: number } {
  const entries = helpEntries(readonly, extraKeys);
  const rows = Math.max(1, height - 1);
  const n = Math.ceil(entries.length / rows);
  const colWidth = Math.floor((width - (n - 1) * 2) / n);
  const columns: LineSpec[][] = [];
  for (let i = 0; i < n; i++) columns.push(columnLines(entries.slice(i * rows, (i + 1) * rows)));
  return { title: panelTitle(theme, 'KEYS', true, [seg('every key', 'muted')], 'Esc or ? closes'), columns, colWidth };
}

export function HelpOverlay({ width, height, readonly, extraKeys }: { width: number; height: number; readonly: boolean; extraKeys?: readonly ExtraKey[] }) {
  const theme = useTheme();
  const { title, columns, colWidth } = helpColumns(width, height, readonly, theme, extraKeys);
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
