/**
 * Argo Rollouts' successCondition / failureCondition are expr-lang
 * expressions over `result` (a Prometheus instant vector's values, or a
 * scalar). The shapes its docs and users write are read here:
 *   result OP N, result[0] OP N, N OP result, all(result, # OP N),
 *   any(result, # OP N), and `||` / `&&` of those.
 * Anything else (isNaN, len, math on result, string compares) is not read,
 * and the caller says so in the plan.
 */
import type { Comparator } from '../plan/threshold.js';

export interface Comparison {
  op: Comparator;
  value: number;
  /** all(...) holds when every series does; any(...)/result[0]/result when one does. */
  quantifier: 'all' | 'any' | 'first';
}

export interface ParsedCondition {
  /** Comparisons joined by one connective. */
  join: '||' | '&&';
  parts: Comparison[];
}

const NEGATE: Record<Comparator, Comparator> = { '>': '<=', '>=': '<', '<': '>=', '<=': '>', '==': '!=', '!=': '==' };
const FLIP: Record<Comparator, Comparator> = { '>': '<', '<': '>', '>=': '<=', '<=': '>=', '==': '==', '!=': '!=' };
const NUM = String.raw`[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?`;
const OP = String.raw`>=|<=|==|!=|>|<`;
const SUBJECT = String.raw`result(?:\[0\])?`;

export function parseCondition(text: string): ParsedCondition | undefined {
  const src = text.trim();
  const hasOr = src.includes('||') || /\bor\b/.test(src);
  const hasAnd = src.includes('&&') || /\band\b/.test(src);
  if (hasOr && hasAnd) return undefined;
  const join = hasAnd ? '&&' : '||';
  const pieces = src.split(/\|\||&&|\bor\b|\band\b/).map((p) => p.trim().replace(/^\((.*)\)$/, '$1').trim());
  const parts: Comparison[] = [];
  for (const p of pieces) {
    const c = parseComparison(p);
    if (!c) return undefined;
    parts.push(c);
  }
  return { join, parts };
}

function parseComparison(p: string): Comparison | undefined {
  let m = new RegExp(`^(${SUBJECT})\\s*(${OP})\\s*(${NUM})$`).exec(p);
  if (m) return { op: m[2] as Comparator, value: Number(m[3]), quantifier: 'first' };
  m = new RegExp(`^(${NUM})\\s*(${OP})\\s*(${SUBJECT})$`).exec(p);
  if (m) return { op: FLIP[m[2] as Comparator], value: Number(m[1]), quantifier: 'first' };
  m = new RegExp(`^(all|any)\\(\\s*result\\s*,\\s*#\\s*(${OP})\\s*(${NUM})\\s*\\)$`).exec(p);
  if (m) return { op: m[2] as Comparator, value: Number(m[3]), quantifier: m[1] as 'all' | 'any' };
  return undefined;
}

export function negate(c: Comparison): Comparison {
  // not all(x) = any(not x); not any(x) = all(not x)
  const quantifier = c.quantifier === 'all' ? 'any' : c.quantifier === 'any' ? 'all' : 'first';
  return { op: NEGATE[c.op], value: c.value, quantifier };
}

/**
 * The comparisons under which the metric is bad, from a success condition
 * (its negation) or a failure condition (itself). A gate breaches when any
 * of its thresholds does, so a bad-condition that is an `&&` of several
 * comparisons cannot be written as thresholds: undefined then.
 */
export function badWhen(cond: ParsedCondition, kind: 'success' | 'failure'): Comparison[] | undefined {
  if (kind === 'failure') return cond.join === '||' || cond.parts.length === 1 ? cond.parts : undefined;
  // not (a && b) = not a || not b;  not (a || b) = not a && not b
  if (cond.join === '&&' || cond.parts.length === 1) return cond.parts.map(negate);
  return undefined;
}
