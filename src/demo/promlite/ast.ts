/** The PromQL syntax tree promlite parses into and evaluates. */
import type { Matcher } from './labels.js';

export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

/** How Prometheus names value types in its messages. */
export const TYPE_NAMES: Record<ValueType, string> = { scalar: 'scalar', vector: 'instant vector', matrix: 'range vector', string: 'string' };

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '^' | 'atan2' | '==' | '!=' | '<' | '>' | '<=' | '>=' | 'and' | 'or' | 'unless';
export type AggregateOp = 'sum' | 'min' | 'max' | 'avg' | 'count' | 'group' | 'stddev' | 'stdvar';

export interface NumberLiteral {
  kind: 'number';
  value: number;
  pos: number;
}

export interface StringLiteral {
  kind: 'string';
  value: string;
  pos: number;
}

export interface VectorSelector {
  kind: 'vectorSelector';
  /** The metric name, when written before the braces. */
  name?: string;
  matchers: Matcher[];
  offsetMs: number;
  pos: number;
}

export interface MatrixSelector {
  kind: 'matrixSelector';
  selector: VectorSelector;
  rangeMs: number;
  pos: number;
}

export interface Call {
  kind: 'call';
  func: string;
  args: Expr[];
  pos: number;
}

export interface Aggregate {
  kind: 'aggregate';
  op: AggregateOp;
  /** Labels of `by (…)` or `without (…)`. */
  grouping: string[];
  without: boolean;
  expr: Expr;
  pos: number;
}

export interface VectorMatching {
  /** `on (…)` when true, `ignoring (…)` when false. */
  on: boolean;
  labels: string[];
}

export interface Binary {
  kind: 'binary';
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
  /** The `bool` modifier of a comparison. */
  returnBool: boolean;
  matching?: VectorMatching;
  pos: number;
}

export interface Unary {
  kind: 'unary';
  op: '-' | '+';
  expr: Expr;
  pos: number;
}

export interface Paren {
  kind: 'paren';
  expr: Expr;
  pos: number;
}

export type Expr = NumberLiteral | StringLiteral | VectorSelector | MatrixSelector | Call | Aggregate | Binary | Unary | Paren;

export const COMPARISON_OPS: ReadonlySet<string> = new Set(['==', '!=', '<', '>', '<=', '>=']);
export const SET_OPS: ReadonlySet<string> = new Set(['and', 'or', 'unless']);
