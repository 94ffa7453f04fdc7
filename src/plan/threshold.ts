/**
 * Thresholds: "> 0.05", ">= 0.90", "== true", "!= ''", "> +10%" (relative to
 * the gate's baseline), "< -3%". A value breaches a threshold when the
 * comparison holds.
 */
export type Comparator = '>' | '>=' | '<' | '<=' | '==' | '!=';
export type Operand = number | boolean | string;

export interface Threshold {
  op: Comparator;
  value: Operand;
  /** When true, `value` is a percentage relative to the baseline: target = baseline * (1 + value/100). */
  relative: boolean;
  text: string;
}

const RE = /^\s*(>=|<=|==|!=|>|<)\s*(.+?)\s*$/;

export const THRESHOLD_EXAMPLE = 'a comparison such as "> 0.05", ">= 0.90", "== true" or "> +10%" (relative to the baseline)';

export function parseThreshold(text: string): Threshold | undefined {
  const m = RE.exec(text);
  if (!m) return undefined;
  const op = m[1] as Comparator;
  const raw = m[2]!;
  const rel = /^([+-]\d+(?:\.\d+)?)\s*%$/.exec(raw);
  if (rel) return { op, value: Number(rel[1]), relative: true, text: text.trim() };
  if (raw === 'true' || raw === 'false') {
    if (op !== '==' && op !== '!=') return undefined;
    return { op, value: raw === 'true', relative: false, text: text.trim() };
  }
  const quoted = /^(["'])(.*)\1$/.exec(raw);
  if (quoted) {
    if (op !== '==' && op !== '!=') return undefined;
    return { op, value: quoted[2]!, relative: false, text: text.trim() };
  }
  const pct = /^(-?\d+(?:\.\d+)?)\s*%$/.exec(raw);
  if (pct) return { op, value: Number(pct[1]) / 100, relative: false, text: text.trim() };
  const num = Number(raw.replace(/_/g, ''));
  if (raw === '' || !Number.isFinite(num)) {
    if (raw === '+Inf' || raw === 'Inf') return { op, value: Infinity, relative: false, text: text.trim() };
    if (raw === '-Inf') return { op, value: -Infinity, relative: false, text: text.trim() };
    return undefined;
  }
  return { op, value: num, relative: false, text: text.trim() };
}

/** The absolute number a relative threshold compares against, or undefined without a baseline. */
export function thresholdTarget(t: Threshold, baseline: number | undefined): Operand | undefined {
  if (!t.relative) return t.value;
  if (baseline === undefined || !Number.isFinite(baseline)) return undefined;
  return baseline * (1 + (t.value as number) / 100);
}

/**
 * Whether `value` breaches `t`. Returns undefined when it cannot be decided
 * (relative threshold without a baseline, NaN, type mismatch): the caller
 * treats that as "could not evaluate", never as a pass.
 */
export function breaches(t: Threshold, value: Operand | null, baseline?: number): boolean | undefined {
  if (value === null) return undefined;
  const target = thresholdTarget(t, baseline);
  if (target === undefined) return undefined;
  if (typeof target === 'number') {
    const v = typeof value === 'boolean' ? (value ? 1 : 0) : typeof value === 'string' ? Number(value) : value;
    if (typeof value === 'string' && value.trim() === '') return undefined;
    if (Number.isNaN(v)) return undefined;
    switch (t.op) {
      case '>': return v > target;
      case '>=': return v >= target;
      case '<': return v < target;
      case '<=': return v <= target;
      case '==': return v === target;
      case '!=': return v !== target;
    }
  }
  if (typeof target === 'boolean') {
    const v = typeof value === 'boolean' ? value : value === 'true' ? true : value === 'false' ? false : undefined;
    if (v === undefined) return undefined;
    return t.op === '==' ? v === target : v !== target;
  }
  const v = String(value);
  return t.op === '==' ? v === target : v !== target;
}

/**
 * "> 0.05", or with a formatter "> 5%"; for relative thresholds with a
 * baseline, "> +10% (5.5ms)".
 */
export function describeThreshold(t: Threshold, baseline?: number, fmt: (v: number) => string = formatNumber): string {
  if (!t.relative) return typeof t.value === 'number' && fmt !== formatNumber ? `${t.op} ${fmt(t.value)}` : t.text;
  const target = thresholdTarget(t, baseline);
  return typeof target === 'number' ? `${t.text} (${fmt(target)})` : `${t.text} (no baseline)`;
}

export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Number.isInteger(v)) return String(v);
  const abs = Math.abs(v);
  if (abs >= 1000) return v.toFixed(0);
  if (abs >= 1) return String(Number(v.toFixed(3)));
  if (abs >= 0.001) return String(Number(v.toFixed(4)));
  return v.toExponential(2);
}
