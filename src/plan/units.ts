/** How a gate's numbers are shown: "981 MiB", "0.65%", "482ms". The plan's `unit` says what the value is. */
import { formatNumber } from './threshold.js';

export const UNITS = ['seconds', 'ms', 'bytes', 'ratio', 'percent', 'count'] as const;
export type Unit = (typeof UNITS)[number];

export function formatWithUnit(v: number, unit: Unit | undefined): string {
  if (!Number.isFinite(v) || unit === undefined || unit === 'count') return formatNumber(v);
  switch (unit) {
    case 'seconds':
      return formatMs(v * 1000);
    case 'ms':
      return formatMs(v);
    case 'bytes':
      return formatBytes(v);
    case 'ratio':
      return `${trim(v * 100)}%`;
    case 'percent':
      return `${trim(v)}%`;
  }
}

function formatMs(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1) return `${trim(ms * 1000)}µs`;
  if (abs < 1000) return `${trim(ms)}ms`;
  if (abs < 60_000) return `${trim(ms / 1000)}s`;
  return `${trim(ms / 60_000)}min`;
}

function formatBytes(b: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = b;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${trim(v)} ${units[i]}`;
}

/** Three significant digits at most, no trailing zeros. */
function trim(v: number): string {
  if (v === 0) return '0';
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : abs >= 0.1 ? 3 : 4;
  return String(Number(v.toFixed(digits)));
}
