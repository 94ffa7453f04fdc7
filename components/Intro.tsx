/**
 * What this screen is, under the status line when the cockpit opens (the
 * demo's first screen: a simulated rollout, the autopilot, which keys to
 * try). Paragraphs are wrapped to the width, most needed first: a short
 * terminal keeps the first ones whole and cuts the rest.
 */
import React from 'react';
import { wrapWords } from './dialogs/parts.js';
import { Lines, line, seg, type LineSpec } from './Line.js';
import { useTheme } from './ThemeContext.js';

/** The most rows the intro takes; the panels keep at least MIN_BODY_LEFT rows beside it. */
export const INTRO_MAX_ROWS = 6;
export const MIN_BODY_LEFT = 6;

/** The intro's rows at this width, at most `maxRows` of them (the last ends with the ellipsis when cut). */
export function introLines(paragraphs: readonly string[], width: number, maxRows: number, ellipsis = '…'): LineSpec[] {
  const rows: LineSpec[] = [];
  paragraphs.forEach((text, i) => {
    for (const w of wrapWords(text, Math.max(1, width - 1), Infinity, ellipsis)) rows.push(line(seg(` ${w}`, i === 0 ? 'title' : 'text')));
  });
  if (rows.length <= maxRows) return rows;
  const kept = rows.slice(0, Math.max(0, maxRows));
  const last = kept[kept.length - 1];
  if (last) {
    const text = last.segs.map((s) => s.text).join('');
    const cut = [...text].slice(0, Math.max(0, width - [...ellipsis].length)).join('');
    kept[kept.length - 1] = line(seg(`${cut.trimEnd()}${ellipsis}`, last.segs[0]?.tok));
  }
  return kept;
}

/** Rows the intro may take when `free` rows are left for the body. */
export function introRowsFor(free: number): number {
  return Math.max(0, Math.min(INTRO_MAX_ROWS, free - MIN_BODY_LEFT));
}

export function Intro({ paragraphs, width, rows }: { paragraphs: readonly string[]; width: number; rows: number }) {
  const theme = useTheme();
  const lines = introLines(paragraphs, width, rows, theme.glyphs.ellipsis);
  return <Lines lines={lines} width={width} height={lines.length} />;
}
