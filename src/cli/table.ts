/** Plain aligned text columns for non-interactive output (check, report). */
import stringWidth from 'string-width';

export function textTable(header: string[], rows: string[][], maxWidths: number[] = []): string {
  const cells = [header, ...rows].map((r) => r.map((c, i) => clip(c.replace(/\s+/g, ' '), maxWidths[i])));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => stringWidth(r[i] ?? ''))));
  return cells
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - stringWidth(c)))).join('  ').trimEnd())
    .join('\n');
}

function clip(s: string, max?: number): string {
  if (!max || stringWidth(s) <= max) return s;
  return s.slice(0, Math.max(1, max - 1)) + '…';
}
