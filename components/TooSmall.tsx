/**
 * Shown instead of the cockpit below the minimum size; never taller or wider
 * than the terminal. The status line stays on top: a running action or a
 * coming auto-rollback is never hidden by a small window.
 */
import React from 'react';
import { Box } from 'ink';
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

export function TooSmall({ columns, rows, header }: { columns: number; rows: number; header?: React.ReactNode }) {
  const width = Math.max(0, columns - 1);
  const headerRows = header && rows - 1 >= 3 ? 2 : 0;
  const height = Math.max(0, Math.min(4, rows - 1 - headerRows));
  if (width === 0 || rows <= 1) return null;
  return (
    <Box flexDirection="column" width={width}>
      {headerRows > 0 ? header : null}
      {height > 0 ? <Lines lines={tooSmallLines(columns, rows)} width={width} height={height} /> : null}
    </Box>
  );
}
