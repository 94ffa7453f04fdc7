/**
 * PromQL for promlite, parsed with Prometheus's own grammar
 * (@prometheus-io/lezer-promql, the one the plan validator uses) and turned
 * into promlite's syntax tree (ast.ts) with Prometheus's type checks and
 * messages ("1:20: parse error: unclosed left parenthesis"). Anything outside
 * promlite's subset (subqueries, @, group_left/right, topk …) is refused with
 * a message that says so, never evaluated as something else.
 */
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';
import {
  COMPARISON_OPS,
  SET_OPS,
  TYPE_NAMES,
  type AggregateOp,
  type BinaryOp,
  type Expr,
  type ValueType,
  type VectorMatching,
  type VectorSelector,
} from './ast.js';
import { ParseError } from './errors.js';
import { FUNCTIONS, UNSUPPORTED_FUNCTIONS } from './functions.js';
import { METRIC_NAME, newMatcher, type Matcher, type MatchType } from './labels.js';
import { numberValue, parsePromDuration, readString } from './literals.js';

const AGGREGATES: ReadonlySet<string> = new Set<AggregateOp>(['sum', 'min', 'max', 'avg', 'count', 'group', 'stddev', 'stdvar']);

const BINARY_OPS: Record<string, BinaryOp> = {
  Add: '+', Sub: '-', Mul: '*', Div: '/', Mod: '%', Pow: '^', Atan2: 'atan2',
  Eql: '==', Neq: '!=', Lss: '<', Gtr: '>', Lte: '<=', Gte: '>=', And: 'and', Or: 'or', Unless: 'unless',
};

export function parseExpr(input: string): Expr {
  checkStrings(input);
  const tree = parser.parse(input);
  const top = tree.topNode;
  let error: SyntaxNode | undefined;
  tree.iterate({
    enter(n) {
      if (error) return false;
      if (n.type.isError) error = n.node;
      return error ? false : undefined;
    },
  });
  const exprs = children(top);
  if (input.replace(/(\s|#[^\n]*)+/g, '') === '') throw new ParseError(input, 0, 'no expression found in input');
  if (error) throw syntaxError(input, error);
  return new Converter(input).expr(exprs[0]!);
}

/** The value type an expression evaluates to. */
export function typeOf(e: Expr): ValueType {
  switch (e.kind) {
    case 'number':
      return 'scalar';
    case 'string':
      return 'string';
    case 'vectorSelector':
      return 'vector';
    case 'matrixSelector':
      return 'matrix';
    case 'call':
      return FUNCTIONS[e.func]!.returns;
    case 'aggregate':
      return 'vector';
    case 'binary':
      return typeOf(e.lhs) === 'scalar' && typeOf(e.rhs) === 'scalar' ? 'scalar' : 'vector';
    case 'unary':
    case 'paren':
      return typeOf(e.expr);
  }
}

function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

// ------------------------------------------------------------ lexical and syntax errors

/** Strings are read first, so a bad escape or an unterminated string is named as Prometheus's lexer names it. */
function checkStrings(input: string): void {
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c === '#') {
      while (i < input.length && input[i] !== '\n') i++;
    } else if (c === '"' || c === "'" || c === '`') {
      i = readString(input, i).end - 1;
    }
  }
}

const TOKEN = /^(?:[a-zA-Z_:][a-zA-Z0-9_:]*|(?:\d+(?:ms|[smhdwy]))+(?![a-zA-Z0-9_])|0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|==|!=|<=|>=|=~|!~|[^\s])/;

function describeAt(input: string, pos: number): string {
  const t = TOKEN.exec(input.slice(pos))?.[0] ?? '';
  if (t === '') return 'end of input';
  if (/^(?:\d+(?:ms|[smhdwy]))+$/.test(t)) return `duration "${t}"`;
  if (/^[0-9.]/.test(t)) return `number "${t}"`;
  if (/^[a-zA-Z_:]/.test(t)) return `identifier "${t}"`;
  if (t === '"' || t === "'" || t === '`') return `string ${JSON.stringify(readString(input, pos).value)}`;
  return t === ',' ? '","' : `"${t}"`;
}

/** The innermost bracket still open at `upTo` (strings and comments skipped). */
function openBracket(input: string, upTo: number): string | undefined {
  const stack: string[] = [];
  for (let i = 0; i < upTo; i++) {
    const c = input[i]!;
    if (c === '#') while (i < upTo && input[i] !== '\n') i++;
    else if (c === '"' || c === "'" || c === '`') i = readString(input, i).end - 1;
    else if (c === '(' || c === '[' || c === '{') stack.push(c);
    else if (c === ')' || c === ']' || c === '}') stack.pop();
  }
  return stack.at(-1);
}

function syntaxError(input: string, err: SyntaxNode): ParseError {
  const end = input.replace(/(\s|#[^\n]*)+$/, '').length;
  if (err.from >= end) {
    const open = openBracket(input, input.length);
    if (open === '(') return new ParseError(input, input.length, 'unclosed left parenthesis');
    if (open === '[') return new ParseError(input, input.length, 'unclosed left bracket');
    if (open === '{') return new ParseError(input, input.length, 'unexpected end of input inside braces');
    return new ParseError(input, input.length, 'unexpected end of input');
  }
  const at = err.from;
  // "30m1h": the grammar splits a duration with units out of order; Prometheus names the whole word.
  const word = /[0-9a-zA-Z]*$/.exec(input.slice(0, at))![0];
  const glued = word + (/^[0-9a-zA-Z]*/.exec(input.slice(at))![0]);
  if (/^\d/.test(glued) && /^(?:\d+(?:ms|[smhdwy]))+$/.test(glued)) {
    try {
      parsePromDuration(glued);
    } catch (e) {
      return new ParseError(input, at - word.length, (e as Error).message);
    }
  }
  if (input[at] === ')') return new ParseError(input, at, "unexpected right parenthesis ')'");
  // `name(`: a function the grammar does not know.
  const before = /([a-zA-Z_][a-zA-Z0-9_:]*)\s*$/.exec(input.slice(0, at));
  if (input[at] === '(' && before) {
    const name = before[1]!;
    const pos = at - before[0].length;
    const lower = name.toLowerCase();
    if (['topk', 'bottomk', 'quantile', 'count_values', 'limitk', 'limit_ratio'].includes(lower)) {
      return new ParseError(input, pos, `aggregation "${lower}" is not supported by promlite (supported: ${[...AGGREGATES].join(', ')})`);
    }
    return new ParseError(input, pos, UNSUPPORTED_FUNCTIONS.has(name) ? `function "${name}" is not supported by promlite` : `unknown function with name "${name}"`);
  }
  return new ParseError(input, at, `unexpected ${describeAt(input, at)}`);
}

// ------------------------------------------------------------ the tree -> promlite's AST

class Converter {
  constructor(private readonly input: string) {}

  private text(n: SyntaxNode): string {
    return this.input.slice(n.from, n.to);
  }

  private error(pos: number, detail: string): ParseError {
    return new ParseError(this.input, pos, detail);
  }

  expr(n: SyntaxNode): Expr {
    switch (n.name) {
      case 'NumberDurationLiteral':
        return this.number(n);
      case 'StringLiteral':
        return { kind: 'string', value: readString(this.input, n.from).value, pos: n.from };
      case 'VectorSelector':
        return this.selector(n);
      case 'MatrixSelector':
        return this.matrix(n);
      case 'OffsetExpr':
        return this.offset(n);
      case 'FunctionCall':
        return this.call(n);
      case 'AggregateExpr':
        return this.aggregate(n);
      case 'BinaryExpr':
        return this.binary(n);
      case 'UnaryExpr':
        return this.unary(n);
      case 'ParenExpr':
        return { kind: 'paren', expr: this.expr(children(n)[0]!), pos: n.from };
      case 'SubqueryExpr':
        return this.refuse(n, 'subqueries are not supported by promlite', ':');
      case 'StepInvariantExpr':
        return this.refuse(n, 'the @ modifier is not supported by promlite', '@');
      default:
        throw this.error(n.from, `${this.text(n).slice(0, 30)}: not supported by promlite`);
    }
  }

  /** Refuses a construct, placing the error at its telling character (":" of a subquery, "@"). */
  private refuse(n: SyntaxNode, detail: string, mark: string): never {
    const first = children(n)[0]!;
    const i = this.input.indexOf(mark, first.to);
    throw this.error(i >= 0 && i < n.to ? i : n.from, detail);
  }

  private number(n: SyntaxNode): Expr {
    const t = this.text(n);
    const v = numberValue(t);
    if (v === undefined) {
      if (/^[+-]?(?:\d+(?:ms|[smhdwy]))+$/.test(t)) throw this.error(n.from, `unexpected duration "${t.replace(/^[+-]/, '')}"`);
      throw this.error(n.from, `bad number or duration syntax: ${JSON.stringify(t)}`);
    }
    return { kind: 'number', value: v, pos: n.from };
  }

  private duration(n: SyntaxNode, context: string): number {
    const parts = children(n);
    const lit = n.name === 'NumberDurationLiteralInDurationContext' ? n : parts.length === 1 && parts[0]!.name === 'NumberDurationLiteralInDurationContext' ? parts[0]! : undefined;
    if (!lit) throw this.error(n.from, `duration expressions are not supported by promlite (${context})`);
    const t = this.text(lit);
    try {
      return parsePromDuration(t);
    } catch (err) {
      if (/^\d+$/.test(t)) return Number(t) * 1000; // a bare number of seconds
      throw this.error(lit.from, (err as Error).message);
    }
  }

  private selector(n: SyntaxNode): VectorSelector {
    const id = n.getChild('Identifier');
    const name = id ? this.text(id) : undefined;
    const matchers: Matcher[] = [];
    const list = n.getChild('LabelMatchers');
    for (const m of list ? children(list) : []) {
      if (m.name === 'QuotedLabelName') {
        matchers.push(this.matcher(METRIC_NAME, '=', m.getChild('StringLiteral') ?? m));
        continue;
      }
      const label = m.getChild('LabelName') ?? m.getChild('QuotedLabelName');
      const op = m.getChild('MatchOp');
      const value = m.getChild('StringLiteral');
      if (!label || !op || !value) throw this.error(m.from, `unexpected ${describeAt(this.input, m.from)} in label matching`);
      const labelName = label.name === 'QuotedLabelName' ? readString(this.input, label.from).value : this.text(label);
      matchers.push(this.matcher(labelName, this.text(op) as MatchType, value));
    }
    if (name !== undefined) {
      const named = matchers.find((m) => m.name === METRIC_NAME);
      if (named) throw this.error(n.from, `metric name must not be set twice: "${name}" or "${named.value}"`);
      matchers.unshift(newMatcher(METRIC_NAME, '=', name));
    }
    if (!matchers.some((m) => !m.matches(''))) throw this.error(n.from, 'vector selector must contain at least one non-empty matcher');
    return { kind: 'vectorSelector', ...(name !== undefined ? { name } : {}), matchers, offsetMs: 0, pos: n.from };
  }

  private matcher(label: string, op: MatchType, value: SyntaxNode): Matcher {
    try {
      return newMatcher(label, op, readString(this.input, value.from).value);
    } catch (err) {
      if (err instanceof ParseError) throw err;
      throw this.error(value.from, (err as Error).message);
    }
  }

  private matrix(n: SyntaxNode): Expr {
    const [inner, range] = children(n);
    if (inner!.name !== 'VectorSelector') throw this.error(range!.from - 1, 'ranges only allowed for vector selectors');
    const selector = this.selector(inner!);
    const rangeMs = this.duration(range!, 'range');
    if (rangeMs <= 0) throw this.error(range!.from, 'duration must be greater than 0');
    return { kind: 'matrixSelector', selector, rangeMs, pos: n.from };
  }

  private offset(n: SyntaxNode): Expr {
    const [inner, , amount] = children(n);
    const expr = this.expr(inner!);
    if (amount!.getChild('UnaryOp') && this.text(amount!.getChild('UnaryOp')!) === '-') {
      throw this.error(amount!.from + 1, 'negative offsets are not supported by promlite');
    }
    const sel = expr.kind === 'matrixSelector' ? expr.selector : expr.kind === 'vectorSelector' ? expr : undefined;
    const keyword = children(n)[1]!;
    if (!sel) throw this.error(keyword.from, 'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery');
    if (sel.offsetMs) throw this.error(keyword.from, 'offset may not be set multiple times');
    const plain = amount!.getChild('UnaryOp') ? amount!.getChild('OffsetDurationExpr') ?? amount! : amount!;
    sel.offsetMs = this.duration(plain, 'offset');
    return expr;
  }

  private call(n: SyntaxNode): Expr {
    const fnNode = n.getChild('FunctionIdentifier')!;
    const name = this.text(fnNode);
    const def = FUNCTIONS[name];
    if (!def) {
      if (UNSUPPORTED_FUNCTIONS.has(name)) throw this.error(fnNode.from, `function "${name}" is not supported by promlite`);
      throw this.error(fnNode.from, `unknown function with name "${name}"`);
    }
    const body = n.getChild('FunctionCallBody');
    const args = (body ? children(body) : []).map((a) => this.expr(a));
    const min = def.args.length - (def.optional ?? 0);
    if (args.length < min || args.length > def.args.length) {
      const want = min === def.args.length ? `${min}` : `${min} to ${def.args.length}`;
      throw this.error(fnNode.from, `expected ${want} argument(s) in call to "${name}", got ${args.length}`);
    }
    args.forEach((a, i) => {
      const want = def.args[i]!;
      const got = typeOf(a);
      if (got !== want) throw this.error(a.pos, `expected type ${TYPE_NAMES[want]} in call to function "${name}", got ${TYPE_NAMES[got]}`);
      if (want === 'matrix' && unparen(a).kind !== 'matrixSelector') throw this.error(a.pos, `promlite needs a range vector selector (like foo[5m]) in call to function "${name}"`);
    });
    return { kind: 'call', func: name, args, pos: n.from };
  }

  private grouping(m: SyntaxNode): string[] {
    const g = m.getChild('GroupingLabels');
    return g ? children(g).map((l) => (l.name === 'QuotedLabelName' ? readString(this.input, l.from).value : this.text(l))) : [];
  }

  private aggregate(n: SyntaxNode): Expr {
    const opNode = n.getChild('AggregateOp')!;
    const op = this.text(opNode).toLowerCase();
    if (!AGGREGATES.has(op)) {
      throw this.error(opNode.from, `aggregation "${op}" is not supported by promlite (supported: ${[...AGGREGATES].join(', ')})`);
    }
    const modifiers = n.getChildren('AggregateModifier');
    if (modifiers.length > 1) throw this.error(modifiers[1]!.from, `unexpected ${describeAt(this.input, modifiers[1]!.from)} in aggregation: grouping given twice`);
    const mod = modifiers[0];
    const without = mod ? mod.getChild('Without') !== null : false;
    const grouping = mod ? this.grouping(mod) : [];
    const body = n.getChild('FunctionCallBody')!;
    const args = children(body);
    if (args.length === 0) throw this.error(body.to - 1, 'no arguments for aggregate expression provided');
    if (args.length > 1) {
      throw this.error(args[0]!.to, `aggregation "${op}" takes one argument (parameters are only for topk, bottomk, quantile and count_values)`);
    }
    const expr = this.expr(args[0]!);
    const type = typeOf(expr);
    if (type !== 'vector') throw this.error(body.from + 1, `expected type instant vector in aggregation expression, got ${TYPE_NAMES[type]}`);
    return { kind: 'aggregate', op: op as AggregateOp, grouping, without, expr, pos: n.from };
  }

  private binary(n: SyntaxNode): Expr {
    const parts = children(n);
    const opNode = parts.find((p) => p.name in BINARY_OPS)!;
    const op = BINARY_OPS[opNode.name]!;
    const lhsNode = parts[0]!;
    const rhsNode = parts[parts.length - 1]!;
    // Prometheus reads -2 ^ 2 as -(2 ^ 2); the grammar reads a signed literal.
    if (op === '^' && lhsNode.name === 'NumberDurationLiteral' && /^[+-]/.test(this.text(lhsNode))) {
      const sign = this.text(lhsNode)[0]!;
      const base = this.number(lhsNode) as Extract<Expr, { kind: 'number' }>;
      const pow = this.checkBinary({ kind: 'binary', op, lhs: { ...base, value: Math.abs(base.value), pos: lhsNode.from + 1 }, rhs: this.expr(rhsNode), returnBool: false, pos: lhsNode.from + 1 }, opNode.from);
      return sign === '-' ? { kind: 'unary', op: '-', expr: pow, pos: lhsNode.from } : pow;
    }
    const lhs = this.expr(lhsNode);
    const returnBool = parts.some((p) => p.name === 'BoolModifier');
    let matching: VectorMatching | undefined;
    const clause = parts.find((p) => p.name === 'MatchingModifierClause');
    if (clause) {
      const many = clause.getChild('GroupLeft') ?? clause.getChild('GroupRight');
      if (many) throw this.error(many.from, `${this.text(many).toLowerCase()} (many-to-one matching) is not supported by promlite`);
      matching = { on: clause.getChild('On') !== null, labels: this.grouping(clause) };
    }
    const rhs = this.expr(rhsNode);
    return this.checkBinary({ kind: 'binary', op, lhs, rhs, returnBool, ...(matching ? { matching } : {}), pos: lhs.pos }, opNode.from);
  }

  private checkBinary(e: Extract<Expr, { kind: 'binary' }>, opPos: number): Expr {
    const lt = typeOf(e.lhs);
    const rt = typeOf(e.rhs);
    const comparison = COMPARISON_OPS.has(e.op);
    if (e.returnBool && !comparison) throw this.error(opPos, 'bool modifier can only be used on comparison operators');
    if ((lt !== 'scalar' && lt !== 'vector') || (rt !== 'scalar' && rt !== 'vector')) {
      throw this.error(e.pos, 'binary expression must contain only scalar and instant vector types');
    }
    if (comparison && lt === 'scalar' && rt === 'scalar' && !e.returnBool) throw this.error(opPos, 'comparisons between scalars must use BOOL modifier');
    if (SET_OPS.has(e.op) && (lt === 'scalar' || rt === 'scalar')) throw this.error(e.pos, `set operator "${e.op}" not allowed in binary scalar expression`);
    if (e.matching && (lt !== 'vector' || rt !== 'vector')) throw this.error(opPos, 'vector matching only allowed between instant vectors');
    return e;
  }

  private unary(n: SyntaxNode): Expr {
    const [opNode, inner] = children(n);
    const sign = this.text(opNode!);
    const expr = this.expr(inner!);
    const type = typeOf(expr);
    if (type !== 'scalar' && type !== 'vector') {
      throw this.error(n.from, `unary expression only allowed on expressions of type scalar or instant vector, got "${TYPE_NAMES[type]}"`);
    }
    if (expr.kind === 'number') return { kind: 'number', value: sign === '-' ? -expr.value : expr.value, pos: n.from };
    return sign === '+' ? expr : { kind: 'unary', op: '-', expr, pos: n.from };
  }
}

function unparen(e: Expr): Expr {
  return e.kind === 'paren' ? unparen(e.expr) : e;
}
