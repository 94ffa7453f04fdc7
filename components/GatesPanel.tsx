/** Gates panel: one row per gate — state word, value, thresholds, sparkline, time in state, what happens next. */
import React from 'react';
import type { GateState, GateView } from '../src/engine/types.js';
import { gateThresholdText, gateValueCell } from '../src/present/values.js';
import { cell, formatCoarseAge, formatRemaining, sanitize, textWidth } from './format.js';
import { Lines, line, seg, type LineSpec, type Seg } from './Line.js';
import { listWindow, panelTitle } from './PanelTitle.js';
import { STATE_SEVERITY, stateToken, type Theme } from './theme.js';
import { memoOnClock } from './memo-clock.js';
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
  /** 0: no sparkline (the width went to the reason). */
  spark: number;
  /** 0: no "since" column. */
  since: number;
  /** What is left for the note (consequence and reason). */
  note: number;
}

const FIXED = 2 + 2 + 8; // cursor, glyph, state word
const SINCE = 7;

const noteText = (g: GateView, elapsed: number) => gateNote(g, elapsed).map((x) => x.text).join('');

/**
 * Column widths for a panel `width` wide, from every gate of the stage (so a
 * column does not move when the list scrolls or re-sorts): id, value and
 * threshold as wide as their longest (within bounds); the reasons come before
 * the sparkline and the "since" column, which give way first when the width
 * runs short; a wide panel gives its extra width to the reasons.
 */
export function gateColumns(width: number, gates: readonly GateView[] = [], elapsed = 0): GateColumns {
  const warnBand = width >= 120;
  const longestThr = gates.reduce((m, g) => Math.max(m, textWidth(gateThresholdText(g, { warnBand }))), 9);
  const threshold = Math.min(28, longestThr + 1);
  const longestVal = gates.reduce((m, g) => Math.max(m, textWidth(gateValueCell(g))), 5);
  const value = Math.min(width >= 100 ? 14 : 10, longestVal + 1);
  const longestId = gates.reduce((m, g) => Math.max(m, textWidth(g.id)), 4);
  const id = Math.min(32, longestId + 1, Math.max(10, width - FIXED - value - threshold - 20));
  const wantNote = Math.min(200, gates.reduce((m, g) => Math.max(m, textWidth(noteText(g, elapsed))), 0));
  let rest = width - FIXED - id - value - threshold;
  let spark = 0;
  let since = SINCE;
  // Reasons up to 60 columns come before the sparkline and "since"; longer ones open whole with Enter.
  const need = Math.min(wantNote, 60);
  if (rest - SINCE - need >= 9) spark = Math.min(24, rest - SINCE - need);
  else if (rest - SINCE < need) since = 0;
  rest -= spark + since;
  return { warnBand, id, value, threshold, spark, since, note: Math.max(0, rest) };
}

export function gateRow(g: GateView, opts: { theme: Theme; cols: GateColumns; cursor: boolean; selected: boolean; now: number; stateNow: number }): LineSpec {
  const { theme, cols } = opts;
  const gl = theme.glyphs;
  const tok = stateToken(g.state);
  const e = gl.ellipsis;
  const l = line(
    opts.cursor ? seg(`${gl.cursor} `, 'accent') : seg('  '),
    seg(`${gl.state[g.state]} `, tok),
    seg(cell(g.state, 7, 'left', e) + ' ', tok),
    seg(cell(sanitize(g.id), cols.id - 1, 'left', e) + ' ', opts.selected ? 'title' : 'text'),
    seg(cell(gateValueCell(g), cols.value - 1, 'left', e) + ' ', tok),
    seg(cell(gateThresholdText(g, { warnBand: cols.warnBand, none: gl.dash }), cols.threshold - 1, 'left', e) + ' ', 'muted'),
    cols.spark > 0 ? seg(theme.spark(g.history.map((x) => x.value), cols.spark - 1) + ' ', tok) : undefined,
    cols.since > 0 ? seg(cell(formatCoarseAge(opts.now - g.since), cols.since - 1, 'left', e) + ' ', 'muted') : undefined,
    ...gateNote(g, opts.now - opts.stateNow),
  );
  return l;
}

/** The column headings, at the columns' fixed positions. */
export function gateHeadings(cols: GateColumns): LineSpec {
  const h = (t: string, w: number) => (w > 0 ? cell(t, w - 1) + ' ' : '');
  return line(seg(`    ${cell('STATE', 7)} ${h('GATE', cols.id)}${h('VALUE', cols.value)}${h('THRESHOLD', cols.threshold)}${h('TREND', cols.spark)}${h('SINCE', cols.since)}NEXT / WHY`, 'muted'));
}

export function gatesLines(p: GatesPanelProps, theme: Theme): LineSpec[] {
  const { list } = p;
  // Column headings when the panel has room for them and three rows.
  const headings = p.height >= 5 && list.length > 0;
  const rows = Math.max(0, p.height - 1 - (headings ? 1 : 0));
  const { selIndex, start, shown, right } = listWindow(list, p.gates.length, rows, { ...p, selected: p.selectedId, key: (g) => g.id });
  const summary: Seg[] = p.gates.length === 0 ? [seg('none in this stage', 'muted')] : [seg(`${p.gates.length}: `, 'muted'), ...gateCounts(p.gates)];
  const out: LineSpec[] = [panelTitle(theme, 'GATES', p.focused, summary, right)];
  const cols = gateColumns(p.width, p.gates, p.now - p.stateNow);
  if (headings) out.push(gateHeadings(cols));
  shown.forEach((g, i) => {
    const isSel = p.focused && start + i === selIndex;
    out.push(gateRow(g, { theme, cols, cursor: isSel, selected: isSel, now: p.now, stateNow: p.stateNow }));
  });
  if (rows > 0 && list.length === 0 && p.gates.length > 0) out.push(line(seg('  no gate matches the filter', 'muted')));
  return out;
}

/** What the panel draws from the clock: each gate's "since" and "fails in". */
export const gatesClockTexts = (p: GatesPanelProps): string => p.gates.map((g) => `${formatCoarseAge(p.now - g.since)}|${failsInText(g, p.now - p.stateNow)}`).join('\n');

export const GatesPanel = memoOnClock(function GatesPanel(p: GatesPanelProps) {
  const theme = useTheme();
  return <Lines lines={gatesLines(p, theme)} width={p.width} height={p.height} />;
}, gatesClockTexts);
