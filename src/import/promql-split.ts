/**
 * Splits an alerting rule's expression at its outermost comparison with a
 * number ("rate(x[5m]) > 0.01" → query "rate(x[5m])", threshold "> 0.01"),
 * so the gate shows the value and the threshold apart. Strings, label
 * matchers, brackets and parentheses are skipped; an expression with a
 * top-level and/or/unless, a `bool` comparison, or no numeric side is left
 * whole (the caller then counts the series it returns).
 */
import type { Comparator } from '../plan/threshold.js';

export interface SplitExpr {
  query: string;
  op: Comparator;
  value: number;
}

const FLIP: Record<Comparator, Comparator> = { '>': '<', '<': '>', '>=': '<=', '<=': '>=', '==': '==', '!=': '!=' };

interface TopToken {
  at: number;
  op: string;
}

/** The comparison and set operators outside strings, brackets and parentheses. */
function topLevelOperators(expr: string): TopToken[] | undefined {
  const out: TopToken[] = [];
  let depth = 0;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i]!;
    if (c === '"' || c === "'" || c === '`') {
      const end = skipString(expr, i);
      if (end < 0) return undefined;
      i = end;
      continue;
    }
    if (c === '#') {
      const nl = expr.indexOf('\n', i);
      i = nl < 0 ? expr.length : nl;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    if (depth !== 0) continue;
    const two = expr.slice(i, i + 2);
    if (['>=', '<=', '==', '!='].includes(two)) {
      out.push({ at: i, op: two });
      i++;
      continue;
    }
    if (c === '>' || c === '<') {
      out.push({ at: i, op: c });
      continue;
    }
    const word = /^(and|or|unless)\b/.exec(expr.slice(i));
    if (word && (i === 0 || /[\s)]/.test(expr[i - 1]!))) {
      out.push({ at: i, op: word[1]! });
      i += word[1]!.length - 1;
    }
  }
  return depth === 0 ? out : undefined;
}

function skipString(s: string, start: number): number {
  const q = s[start]!;
  for (let i = start + 1; i < s.length; i++) {
    if (s[i] === '\\' && q !== '`') i++;
    else if (s[i] === q) return i;
  }
  return -1;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export function splitComparison(expr: string): SplitExpr | undefined {
  const ops = topLevelOperators(expr);
  if (!ops || ops.length !== 1) return undefined;
  const { at, op } = ops[0]!;
  if (op === 'and' || op === 'or' || op === 'unless') return undefined;
  const left = expr.slice(0, at).trim();
  let right = expr.slice(at + op.length).trim();
  if (/^bool\b/.test(right)) return undefined; // a 0/1 value: no longer a filter
  right = right.replace(/^\(\s*([^()]*?)\s*\)$/, '$1');
  const l = left.replace(/^\(\s*([^()]*?)\s*\)$/, '$1');
  if (NUMBER.test(right) && left !== '') return { query: left, op: op as Comparator, value: Number(right) };
  if (NUMBER.test(l) && right !== '') return { query: right, op: FLIP[op as Comparator], value: Number(l) };
  return undefined;
}

/** The reducer that makes "any series breaches" the gate's breach. */
export function reducerFor(op: Comparator): 'max' | 'min' | undefined {
  if (op === '>' || op === '>=') return 'max';
  if (op === '<' || op === '<=') return 'min';
  return undefined;
}
