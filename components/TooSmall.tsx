/** Shown instead of the cockpit below the minimum size; never taller or wider than the terminal. */
import React from 'react';
import { MIN_COLUMNS, MIN_ROWS } from './layout.js';
import { Lines, line, seg } from './Line.js';

export function tooSmallLines(columns: number, rows: number) {
  return [
    line(seg('Terminal too small', 'danger')),
    line(seg(`${columns}x${rows}, need at least ${MIN_COLUMNS}x${MIN_ROWS}`, 'text')),
    line(seg('Enlarge the window; polling goes on.', 'muted')),
    line(seg('q quits.', 'muted')),
  ];
}

export function TooSmall({ columns, rows }: { columns: number; rows: number }) {
  const height = Math.max(0, Math.min(4, rows - 1));
  const width = Math.max(0, columns - 1);
  if (height === 0 || width === 0) return null;
  return <Lines lines={tooSmallLines(columns, rows)} width={width} height={height} />;
}
