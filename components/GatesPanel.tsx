/** Gates panel: one row per gate — state word, value, thresholds, sparkline, time in state, what happens next. */
import React from 'react';
import type { GateState, GateView } from '../src/engine/types.js';
import { cell, formatAge, formatRemaining, formatThresholds, formatValue, sanitize } from './format.js';
import { Lines, line, seg, type LineSpec, type Seg } from './Line.js';
import { listWindow, panelTitle } from './PanelTitle.js';
import { STATE_SEVERITY, stateToken, type Theme } from './theme.js';
import { useTheme } from './ThemeContext.js';

export interface GatesPanelProps {
  /** Every gate of the stage (the title's counts). */
  gates: readonly GateView[];
  /** The rows: gateList(gates, filter), which the cockpit keeps (its keys move over the same list). */
  list: readonly GateView[];
  filter: string;
  editing: boolean;
  selectedId: string | undefined;
  top: number;
  width: number;
  height: number;
  focused: boolean;
  /** Display time and the state's own time (countdowns move on by the difference). */
  now: number;
  stateNow: number;
}

const severity = (s: GateState) => STATE_SEVERITY.indexOf(s);

/** Most severe first, plan order within a state; then the filter (id, title or subject, any case). */
export function gateList(gates: readonly GateView[], filter: string): GateView[] {
  const f = filter.trim().toLowerCase();
  return gates
    .map((g, i) => ({ g, i }))
    .filter(({ g }) => !f || g.id.toLowerCase().includes(f) || g.title.toLowerCase().includes(f) || g.subject.toLowerCase().includes(f))
    .sort((a, b) => severity(a.g.state) - severity(b.g.state) || a.i - b.i)
    .map(({ g }) => g);
}

export function gateCounts(gates: readonly GateView[]): Seg[] {
  const out: Seg[] = [];
  for (const s of STATE_SEVERITY) {
    const n = gates.filter((g) => g.state === s).length;
    if (n === 0) continue;
    if (out.length) out.push(seg(', ', 'muted'));
    out.push(seg(`${n} ${s}`, stateToken(s)));
  }
  return out;
}

/** "fails in 5m48s or 2 probes", or "" when the gate is not pending. */
export function failsInText(g: GateView, elapsed: number): string {
  if (g.state !== 'pending' || !g.failsIn) return '';
  const parts: string[] = [];
  if (g.failsIn.ms !== undefined) parts.push(formatRemaining(g.failsIn.ms - elapsed));
  if (g.failsIn.probes !== undefined) parts.push(`${g.failsIn.probes} probe${g.failsIn.probes === 1 ? '' : 's'}`);
  return parts.length ? `fails in ${parts.join(' or ')}` : '';
}

/** What the gate's last column says: the consequence first, then why. */
export function gateNote(g: GateView, elapsed: number): Seg[] {
  const why = sanitize(g.why);
  switch (g.state) {
    case 'failing':
      if (g.onFail === 'rollback') return [seg('ROLLBACK', 'rollback'), seg(` ${why}`)];
      if (g.onFail === 'block') return [seg('BLOCKS', 'danger'), seg(` ${why}`)];
      return [seg('alert', 'warn'), seg(` ${why}`)];
    case 'pending': {
      const f = failsInText(g, elapsed);
      return [seg(f || why, 'pending'), seg(g.onFail === 'rollback' ? ' then ROLLBACK' : '', 'danger')];
    }
    case 'no data':
    case 'error':
      return [seg(why, stateToken(g.state))];
    case 'warn':
      return [seg(`caution: ${why}`, 'warn')];
    case 'off':
      return [seg(why, 'off')];
    case 'ok':
      return g.signoff ? [seg(`signed off by ${sanitize(g.signoff.operator)}`, 'muted')] : [];
  }
}

export interface GateColumns {
  /** Whether the threshold column shows the warn band too (wide panels). */
  warnBand: boolean;
  id: number;
  value: number;
  threshold: number;
  spark: number;
}

/** Column widths for a panel `width` wide: id and threshold as wide as the longest (within bounds), the note gets the rest. */
export function gateColumns(width: number, gates: readonly GateView[] = []): GateColumns {
  const warnBand = width >= 120;
  const longestThr = gates.reduce((m, g) => Math.max(m, formatThresholds(g.fail, warnBand ? g.warn : [], false).length), 6);
  const threshold = Math.min(28, Math.max(8, longestThr + 2));
  const value = width >= 100 ? 10 : 8;
  const fixed = 2 + 2 + 8 + 7; // cursor, glyph, state, age
  const longestId = gates.reduce((m, g) => Math.max(m, g.id.length), 8);
  const id = Math.min(32, longestId + 1, Math.max(10, width - fixed - value - threshold - 8 - 12));
  // The note ("fails in 5m48s or 2 probes", "ROLLBACK …") before a longer sparkline.
  const spark = Math.min(24, Math.max(8, width - fixed - id - value - threshold - 28));
  return { warnBand, id, value, threshold, spark };
}

export function gateRow(g: GateView, opts: { theme: Theme; cols: GateColumns; cursor: boolean; selected: boolean; now: number; stateNow: number }): LineSpec {
  const { theme, cols } = opts;
  const gl = theme.glyphs;
  const tok = stateToken(g.state);
  const e = gl.ellipsis;
  const rollback = g.state === 'failing' && g.onFail === 'rollback';
  const spark = theme.spark(
    g.history.map((s) => s.value),
    cols.spark - 1,
  );
  const l = line(
    opts.cursor ? seg(`${gl.cursor} `, 'accent') : seg('  '),
    seg(`${gl.state[g.state]} `, tok),
    seg(cell(g.state, 7, 'left', e) + ' ', tok),
    seg(cell(sanitize(g.id), cols.id - 1, 'left', e) + ' ', 'text'),
    seg(cell(sanitize(g.display || formatValue(g.value)), cols.value - 1, 'left', e) + ' ', tok),
    seg(cell(formatThresholds(g.fail, cols.warnBand ? g.warn : [], theme.ascii), cols.threshold - 1, 'left', e) + ' ', 'muted'),
    seg(spark + ' ', tok),
    seg(cell(formatAge(opts.now - g.since), 6, 'left', e) + ' ', 'muted'),
    ...gateNote(g, opts.now - opts.stateNow),
  );
  if (rollback) l.row = 'rollback';
  else if (opts.selected) l.row = 'selected';
  return l;
}

export function gatesLines(p: GatesPanelProps, theme: Theme): LineSpec[] {
  const { list } = p;
  const rows = Math.max(0, p.height - 1);
  const { selIndex, start, shown, right } = listWindow(list, p.gates.length, rows, { ...p, selected: p.selectedId, key: (g) => g.id });
  const summary: Seg[] = p.gates.length === 0 ? [seg('none in this stage', 'muted')] : [seg(`${p.gates.length}: `, 'muted'), ...gateCounts(p.gates)];
  const out: LineSpec[] = [panelTitle(theme, 'GATES', p.focused, summary, right)];
  const cols = gateColumns(p.width, p.gates);
  shown.forEach((g, i) => {
    const isSel = p.focused && start + i === selIndex;
    out.push(gateRow(g, { theme, cols, cursor: isSel, selected: isSel, now: p.now, stateNow: p.stateNow }));
  });
  if (rows > 0 && list.length === 0 && p.gates.length > 0) out.push(line(seg('  no gate matches the filter', 'muted')));
  return out;
}

export function GatesPanel(p: GatesPanelProps) {
  const theme = useTheme();
  return <Lines lines={gatesLines(p, theme)} width={p.width} height={p.height} />;
}
