import ms from 'ms';

const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/;

/** Parses "30s", "5m", "1h", "250ms", "1.5h" into milliseconds; undefined when not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  const value = ms(`${m[1]}${m[2]}` as ms.StringValue);
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

const PROM_DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNITS = [31_536_000_000, 604_800_000, 86_400_000, 3_600_000, 60_000, 1_000, 1];

/** Prometheus's model.ParseDuration, as a rule file or the HTTP API takes it ("1h30m", "0s", "0"). */
export function parsePromDuration(s: string): number {
  if (s === '0') return 0;
  const m = PROM_DURATION.exec(s);
  if (!m || s === '') throw new Error(`not a valid duration string: ${JSON.stringify(s)}`);
  return UNITS.reduce((sum, unit, i) => sum + Number(m[i + 1] ?? 0) * unit, 0);
}

/** Short human form: 90000 -> "1m30s", 4000 -> "4s", 0 -> "0s". */
export function formatDuration(msValue: number): string {
  if (!Number.isFinite(msValue)) return '∞';
  const neg = msValue < 0;
  let rest = Math.round(Math.abs(msValue) / 1000);
  if (rest === 0) return msValue !== 0 && Math.abs(msValue) < 1000 ? `${Math.round(Math.abs(msValue))}ms` : '0s';
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return (neg ? '-' : '') + parts.join('');
}
