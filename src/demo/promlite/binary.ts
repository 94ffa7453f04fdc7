/**
 * Binary operators between scalars and instant vectors: arithmetic,
 * comparisons (filtering, or 0/1 with `bool`), and/or/unless, with
 * one-to-one matching on all labels but the name (or on/ignoring), as
 * Prometheus 2.42 evaluates them.
 */
import { COMPARISON_OPS, type Binary, type BinaryOp, type VectorMatching } from './ast.js';
import { execution } from './errors.js';
import { goPow } from './functions.js';
import { METRIC_NAME, dropMetricName, labelsKey, onlyLabels, withoutLabels, type Labels } from './labels.js';
import type { VectorSample } from './values.js';

const ARITHMETIC: ReadonlySet<string> = new Set(['+', '-', '*', '/', '%', '^', 'atan2']);

/** [value, keep]: arithmetic always keeps; a comparison keeps the left value when it holds. */
export function elemBinop(op: BinaryOp, l: number, r: number): [number, boolean] {
  switch (op) {
    case '+':
      return [l + r, true];
    case '-':
      return [l - r, true];
    case '*':
      return [l * r, true];
    case '/':
      return [l / r, true];
    case '%':
      return [l % r, true];
    case '^':
      return [goPow(l, r), true];
    case 'atan2':
      return [Math.atan2(l, r), true];
    case '==':
      return [l, l === r];
    case '!=':
      return [l, l !== r];
    case '<':
      return [l, l < r];
    case '>':
      return [l, l > r];
    case '<=':
      return [l, l <= r];
    case '>=':
      return [l, l >= r];
    default:
      throw execution(`operator "${op}" not allowed between these operands`);
  }
}

export function scalarBinop(op: BinaryOp, l: number, r: number): number {
  const [v, keep] = elemBinop(op, l, r);
  return COMPARISON_OPS.has(op) ? (keep ? 1 : 0) : v;
}

/** vector op scalar, or scalar op vector when `scalarOnLeft`. */
export function vectorScalarBinop(e: Binary, vec: readonly VectorSample[], s: number, scalarOnLeft: boolean): VectorSample[] {
  const out: VectorSample[] = [];
  const dropName = ARITHMETIC.has(e.op) || e.returnBool;
  for (const smp of vec) {
    const [l, r] = scalarOnLeft ? [s, smp.v] : [smp.v, s];
    let [v, keep] = elemBinop(e.op, l, r);
    // A comparison keeps the vector's value even when the scalar is on the left.
    if (COMPARISON_OPS.has(e.op) && scalarOnLeft) v = smp.v;
    if (e.returnBool) {
      v = keep ? 1 : 0;
      keep = true;
    }
    if (!keep) continue;
    out.push({ labels: dropName ? dropMetricName(smp.labels) : smp.labels, v });
  }
  return out;
}

function signature(m: VectorMatching | undefined): (l: Labels) => string {
  if (m?.on) return (l) => labelsKey(onlyLabels(l, m.labels));
  const drop = [METRIC_NAME, ...(m?.labels ?? [])];
  return (l) => labelsKey(withoutLabels(l, drop));
}

function matchLabelsOf(l: Labels, m: VectorMatching | undefined): Labels {
  return m?.on ? onlyLabels(l, m.labels) : withoutLabels(l, [METRIC_NAME, ...(m?.labels ?? [])]);
}

export function vectorBinop(e: Binary, lhs: readonly VectorSample[], rhs: readonly VectorSample[]): VectorSample[] {
  const sig = signature(e.matching);
  switch (e.op) {
    case 'and': {
      const right = new Set(rhs.map((s) => sig(s.labels)));
      return lhs.filter((s) => right.has(sig(s.labels)));
    }
    case 'unless': {
      const right = new Set(rhs.map((s) => sig(s.labels)));
      return lhs.filter((s) => !right.has(sig(s.labels)));
    }
    case 'or': {
      const left = new Set(lhs.map((s) => sig(s.labels)));
      return [...lhs, ...rhs.filter((s) => !left.has(sig(s.labels)))];
    }
    default:
      return oneToOne(e, lhs, rhs, sig);
  }
}

function oneToOne(e: Binary, lhs: readonly VectorSample[], rhs: readonly VectorSample[], sig: (l: Labels) => string): VectorSample[] {
  const right = new Map<string, VectorSample>();
  for (const rs of rhs) {
    const k = sig(rs.labels);
    const dup = right.get(k);
    if (dup) {
      throw execution(
        `found duplicate series for the match group ${goLabels(matchLabelsOf(rs.labels, e.matching))} on the right hand-side of the operation: ` +
          `[${goLabels(rs.labels)}, ${goLabels(dup.labels)}];many-to-many matching not allowed: matching labels must be unique on one side`,
      );
    }
    right.set(k, rs);
  }
  const matched = new Set<string>();
  const out: VectorSample[] = [];
  const dropName = ARITHMETIC.has(e.op) || e.returnBool;
  for (const ls of lhs) {
    const k = sig(ls.labels);
    const rs = right.get(k);
    if (!rs) continue;
    let [v, keep] = elemBinop(e.op, ls.v, rs.v);
    if (e.returnBool) {
      v = keep ? 1 : 0;
      keep = true;
    }
    if (!keep) continue;
    if (matched.has(k)) throw execution('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
    matched.add(k);
    let labels = dropName ? dropMetricName(ls.labels) : ls.labels;
    if (e.matching?.on) labels = onlyLabels(labels, e.matching.labels);
    else if (e.matching) labels = withoutLabels(labels, e.matching.labels);
    out.push({ labels, v });
  }
  return out;
}

/** A label set as Go's labels.String prints it: {a="1", b="2"}. */
export function goLabels(l: Labels): string {
  return `{${Object.keys(l)
    .map((k) => `${k}=${JSON.stringify(l[k])}`)
    .join(', ')}}`;
}
