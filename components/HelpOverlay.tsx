/** The `?` overlay: every binding of the keymap, whole, in as many columns as fit; the rest scrolls. */
import React from 'react';
import { Box } from 'ink';
import { KEYMAP, bindingLabel } from './keymap.js';
import { Lines, line, seg, type LineSpec } from './Line.js';
import { panelTitle } from './PanelTitle.js';
import type { Theme } from './theme.js';
import type { ExtraKey } from '../src/ui-contract.js';
import { extraKeyLabel } from './extra-keys.js';
import { useTheme } from './ThemeContext.js';
import { wrapWords } from './dialogs/parts.js';


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

/** Lines of one column `width` wide: keys padded to the longest, descriptions wrapped under themselves (never cut). */
export function helpLines(entries: readonly HelpEntry[], width: number): LineSpec[] {
  const keyW = Math.max(0, ...entries.filter((e) => !e.heading).map((e) => e.label.length)) + 2;
  const descW = Math.max(10, width - keyW);
  const out: LineSpec[] = [];
  for (const e of entries) {
    if (e.heading) {
      out.push(line(seg(e.label, 'title')));
      continue;
    }
    wrapWords(e.description, descW).forEach((d, i) => out.push(line(seg((i === 0 ? e.label : '').padEnd(keyW, ' '), e.off ? 'off' : 'accent'), seg(d, e.off ? 'off' : 'text'))));
  }
  return out;
}

export interface HelpLayout {
  title: LineSpec;
  columns: LineSpec[][];
  colWidth: number;
  /** Rows the help can scroll (0: everything shows). */
  maxScroll: number;
}

/**
 * As many columns as fit with every description whole (wrapped when even one
 * column is too narrow); what does not fit scrolls (j/k, PgDn/PgUp).
 */
export function helpColumns(width: number, height: number, readonly: boolean, theme: Theme, extraKeys: readonly ExtraKey[] = [], scroll = 0): HelpLayout {
  const entries = helpEntries(readonly, extraKeys);
  const rows = Math.max(1, height - 1);
  const keyW = Math.max(0, ...entries.filter((e) => !e.heading).map((e) => e.label.length)) + 2;
  const need = keyW + Math.max(0, ...entries.map((e) => (e.heading ? e.label.length - keyW : e.description.length)));
  const fit = Math.max(1, Math.floor((width + 2) / (need + 2)));
  let n = Math.max(1, Math.min(fit, Math.ceil(entries.length / rows)));
  let colWidth = Math.floor((width - (n - 1) * 2) / n);
  let all = helpLines(entries, colWidth);
  // Fewer columns may do once wrapping is known; more never fit whole.
  while (n > 1 && Math.ceil(all.length / rows) < n) {
    n--;
    colWidth = Math.floor((width - (n - 1) * 2) / n);
    all = helpLines(entries, colWidth);
  }
  const maxScroll = Math.max(0, all.length - n * rows);
  const from = Math.min(Math.max(0, scroll), maxScroll);
  const shown = all.slice(from, from + n * rows);
  const columns: LineSpec[][] = [];
  for (let i = 0; i < n; i++) columns.push(shown.slice(i * rows, (i + 1) * rows));
  const range = maxScroll > 0 ? `${from + 1}-${from + shown.length}/${all.length} j/k scroll${theme.glyphs.dot.trimEnd()} ` : '';
  return { title: panelTitle(theme, 'KEYS', true, [seg('every key', 'muted')], `${range}Esc or ? closes`), columns, colWidth, maxScroll };
}

export function HelpOverlay({ width, height, readonly, extraKeys, scroll = 0 }: { width: number; height: number; readonly: boolean; extraKeys?: readonly ExtraKey[]; scroll?: number }) {
  const theme = useTheme();
  const { title, columns, colWidth } = helpColumns(width, height, readonly, theme, extraKeys, scroll);
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
