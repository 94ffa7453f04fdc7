/** Alerts panel: Prometheus and Flightdeck alerts, newest first, firing or pending, since when. */
import React from 'react';
import type { AlertView } from '../src/engine/types.js';
import { cell, formatCoarseAge, sanitize } from './format.js';
import { Lines, line, seg, type LineSpec, type Seg } from './Line.js';
import { panelTitle, rangeText } from './PanelTitle.js';
import type { Theme, Token } from './theme.js';
import { memoOnClock } from './memo-clock.js';
import { useTheme } from './ThemeContext.js';

export interface AlertsPanelProps {
  alerts: readonly AlertView[];
  top: number;
  width: number;
  height: number;
  focused: boolean;
  now: number;
}

export function alertList(alerts: readonly AlertView[]): AlertView[] {
  return alerts
    .map((a, i) => ({ a, i }))
    .sort((x, y) => y.a.since - x.a.since || x.i - y.i)
    .map(({ a }) => a);
}

const sevTok = (a: AlertView): Token => (a.state === 'pending' ? 'pending' : a.severity === 'critical' ? 'failing' : a.severity === 'warning' ? 'warn' : 'accent');

export function alertsSummary(alerts: readonly AlertView[], now: number, theme: Theme): Seg[] {
  if (alerts.length === 0) return [seg('none', 'ok')];
  const firing = alerts.filter((a) => a.state === 'firing').length;
  const pending = alerts.length - firing;
  const segs: Seg[] = [];
  if (firing) segs.push(seg(`${firing} firing`, alerts.some((a) => a.state === 'firing' && a.severity === 'critical') ? 'failing' : 'warn'));
  if (pending) segs.push(seg(`${firing ? ', ' : ''}${pending} pending`, 'pending'));
  const newest = alertList(alerts)[0]!;
  segs.push(seg(`${theme.glyphs.dot}newest ${sanitize(newest.name)} ${formatCoarseAge(now - newest.since)}`, 'muted'));
  return segs;
}

/** An alert in one line, whole (Enter on the alerts panel): state, severity, name, source, summary. */
export function alertText(a: AlertView): { text: string; tok: Token } {
  return { text: `${a.state} ${a.severity} ${sanitize(a.name)} (${a.source}): ${sanitize(a.summary)}`, tok: sevTok(a) };
}

/** The first row the panel shows for this scroll position (the list clamped to its rows). */
export function alertsStart(count: number, top: number, rows: number): number {
  return Math.min(Math.max(0, top), Math.max(0, count - rows));
}

export function alertsLines(p: AlertsPanelProps, theme: Theme): LineSpec[] {
  const list = alertList(p.alerts);
  const rows = Math.max(0, p.height - 1);
  const start = alertsStart(list.length, p.top, rows);
  const shown = list.slice(start, start + rows);
  const out: LineSpec[] = [panelTitle(theme, 'ALERTS', p.focused, alertsSummary(p.alerts, p.now, theme), rangeText(start, shown.length, list.length))];
  const e = theme.glyphs.ellipsis;
  const nameW = Math.min(30, Math.max(12, Math.floor(p.width / 4)));
  for (const a of shown) {
    const tok = sevTok(a);
    out.push(
      line(
        seg(`  ${a.state === 'firing' ? theme.glyphs.state.failing : theme.glyphs.state.pending} `, tok),
        seg(cell(a.state, 8), tok),
        seg(cell(a.severity, 9), tok),
        seg(cell(sanitize(a.name), nameW - 1, 'left', e) + ' ', 'text'),
        seg(cell(a.source === 'prometheus' ? 'prom' : 'fdeck', 6), 'muted'),
        seg(cell(formatCoarseAge(p.now - a.since), 7), 'muted'),
        seg(sanitize(a.summary), 'text'),
      ),
    );
  }
  return out;
}

/** What the panel draws from the clock: each alert's age. */
export const alertsClockTexts = (p: AlertsPanelProps): string => p.alerts.map((a) => formatCoarseAge(p.now - a.since)).join('\n');

export const AlertsPanel = memoOnClock(function AlertsPanel(p: AlertsPanelProps) {
  const theme = useTheme();
  return <Lines lines={alertsLines(p, theme)} width={p.width} height={p.height} />;
}, alertsClockTexts);
