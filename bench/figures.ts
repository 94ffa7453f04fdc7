/**
 * A benchmark figure beside its target, the table `npm run bench` prints and
 * the results.json it writes. Pure: no I/O, so the formatting is testable.
 */
import os from 'node:os';

export type Unit = 'ms' | 's' | 'B' | 'MB' | '%' | 'count' | 'x' | '';
export type Op = '<=' | '<' | '>=' | '==';

export interface Target {
  op: Op;
  value: number | boolean;
}

export interface Figure {
  /** Stable key in results.json, e.g. `poll.1000.warm.wall_ms`. */
  key: string;
  /** What the operator reads in the table. */
  label: string;
  /** null: the figure could not be measured (see note). */
  value: number | boolean | null;
  unit: Unit;
  /** Absent: a reference figure, shown without a verdict. */
  target?: Target;
  note?: string;
}

export type Verdict = 'OK' | 'MISS' | 'ERR' | '-';

export function verdict(f: Figure): Verdict {
  if (!f.target) return f.value === null ? 'ERR' : '-';
  if (f.value === null) return 'ERR';
  const { op, value: t } = f.target;
  const v = f.value;
  if (op === '==') return v === t ? 'OK' : 'MISS';
  if (typeof v !== 'number' || typeof t !== 'number') return 'MISS';
  const ok = op === '<=' ? v <= t : op === '<' ? v < t : v >= t;
  return ok ? 'OK' : 'MISS';
}

export function formatValue(v: number | boolean | null, unit: Unit): string {
  if (v === null) return 'n/a';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  const num = (x: number, digits: number) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  switch (unit) {
    case 'ms':
      return `${num(v, v < 10 ? 2 : v < 100 ? 1 : 0)} ms`;
    case 's':
      return `${num(v, 2)} s`;
    case 'B':
      return `${num(v, 0)} B`;
    case 'MB':
      return `${num(v, 1)} MB`;
    case '%':
      return `${num(v, 2)} %`;
    case 'count':
      return num(v, 0);
    case 'x':
      return `${num(v, 2)}x`;
    default:
      return num(v, 3);
  }
}

export function formatTarget(f: Figure): string {
  if (!f.target) return '';
  return `${f.target.op} ${formatValue(f.target.value, f.unit)}`;
}

/** The table: figure, value, target, verdict; one row a figure, notes indented below. */
export function formatTable(figures: readonly Figure[], opts: { notes?: boolean } = {}): string {
  const head = ['figure', 'value', 'target', ''];
  const rows = figures.map((f) => [f.label, formatValue(f.value, f.unit), formatTarget(f), verdict(f) === '-' ? '' : verdict(f)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === 1 || i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('  ')];
  figures.forEach((f, i) => {
    out.push(line(rows[i]!));
    if (opts.notes !== false && f.note) out.push(`    ${f.note}`);
  });
  return out.join('\n');
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryMB: number;
  node: string;
  platform: string;
  release: string;
  /** 1-minute load average when the run ended: other work on the machine makes figures noisy. */
  loadAverage1m: number;
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryMB: Math.round(os.totalmem() / 1024 / 1024),
    node: process.version,
    platform: process.platform,
    release: os.release(),
    loadAverage1m: Math.round(os.loadavg()[0]! * 100) / 100,
  };
}

export interface Results {
  date: string;
  machine: Machine;
  options: { quick: boolean; only: string[] };
  durationMs: number;
  summary: { ok: number; miss: number; err: number; reference: number };
  figures: Array<Figure & { verdict: Verdict }>;
  /** Raw measurements per section (trials, distributions, settings used). */
  details: Record<string, unknown>;
}

export function buildResults(
  figures: readonly Figure[],
  details: Record<string, unknown>,
  o: { quick: boolean; only: string[]; durationMs: number; date?: Date; machine?: Machine },
): Results {
  const withVerdict = figures.map((f) => ({ ...f, verdict: verdict(f) }));
  const count = (v: Verdict) => withVerdict.filter((f) => f.verdict === v).length;
  return {
    date: (o.date ?? new Date()).toISOString(),
    machine: o.machine ?? machine(),
    options: { quick: o.quick, only: o.only },
    durationMs: Math.round(o.durationMs),
    summary: { ok: count('OK'), miss: count('MISS'), err: count('ERR'), reference: count('-') },
    figures: withVerdict,
    details,
  };
}

/** Percentile (nearest rank) of a list of numbers; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function round(v: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
