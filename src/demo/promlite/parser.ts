/**
 * A recursive-descent PromQL parser for promlite's subset, with Prometheus's
 * operator precedence and its type checks. Anything outside the subset
 * (subqueries, @, group_left/right, topk …) is refused with a message that
 * says so, never parsed into something else.
 */
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
import { tokenize, type Token } from './lexer.js';

const AGGREGATES: ReadonlySet<string> = new Set<AggregateOp>(['sum', 'min', 'max', 'avg', 'count', 'group', 'stddev', 'stdvar']);
const UNSUPPORTED_AGGREGATES: ReadonlySet<string> = new Set(['topk', 'bottomk', 'quantile', 'count_values']);

/** Binding power of each binary operator; `^` is right-associative. */
const PRECEDENCE: Record<BinaryOp, number> = {
  or: 1,
  and: 2,
  unless: 2,
  '==': 3,
  '!=': 3,
  '<': 3,
  '>': 3,
  '<=': 3,
  '>=': 3,
  '+': 4,
  '-': 4,
  '*': 5,
  '/': 5,
  '%': 5,
  atan2: 5,
  '^': 6,
};
const KEYWORD_OPS: ReadonlySet<string> = new Set(['and', 'or', 'unless', 'atan2']);

export function parseExpr(input: string): Expr {
  return new Parser(input).parseQuery();
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

class Parser {
  private readonly tokens: Token[];
  private i = 0;

  constructor(private readonly input: string) {
    this.tokens = tokenize(input);
  }

  parseQuery(): Expr {
    if (this.peek().kind === 'eof') throw this.error(this.peek(), 'no expression found in input');
    const e = this.parseBinary(0);
    const t = this.peek();
    if (t.kind !== 'eof') {
      if (t.text === ')') throw this.error(t, "unexpected right parenthesis ')'");
      throw this.error(t, `unexpected ${describe(t)}`);
    }
    return e;
  }

  // ---------------------------------------------------------- tokens

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (this.i < this.tokens.length - 1) this.i++;
    return t;
  }

  private isOp(text: string, t = this.peek()): boolean {
    return t.kind === 'op' && t.text === text;
  }

  private isWord(word: string, t = this.peek()): boolean {
    return t.kind === 'ident' && t.text.toLowerCase() === word;
  }

  private expectOp(text: string, context: string): Token {
    const t = this.peek();
    if (!this.isOp(text)) {
      if (t.kind === 'eof' && text === ')') throw this.error(t, 'unclosed left parenthesis');
      if (t.kind === 'eof' && text === '}') throw this.error(t, 'unexpected end of input inside braces');
      if (t.kind === 'eof' && text === ']') throw this.error(t, 'unclosed left bracket');
      throw this.error(t, `unexpected ${describe(t)} ${context}, expected "${text}"`);
    }
    return this.next();
  }

  private error(at: Token | number, detail: string): ParseError {
    return new ParseError(this.input, typeof at === 'number' ? at : at.pos, detail);
  }

  // ---------------------------------------------------------- expressions

  private binaryOp(): BinaryOp | undefined {
    const t = this.peek();
    if (t.kind === 'op' && t.text in PRECEDENCE) return t.text as BinaryOp;
    if (t.kind === 'ident' && KEYWORD_OPS.has(t.text.toLowerCase())) return t.text.toLowerCase() as BinaryOp;
    return undefined;
  }

  private parseBinary(minPrec: number): Expr {
    let lhs = this.parseUnary();
    for (;;) {
      const op = this.binaryOp();
      if (!op || PRECEDENCE[op] < minPrec) return lhs;
      const opTok = this.next();
      let returnBool = false;
      if (this.isWord('bool')) {
        this.next();
        returnBool = true;
      }
      let matching: VectorMatching | undefined;
      if (this.isWord('on') || this.isWord('ignoring')) {
        const on = this.next().text.toLowerCase() === 'on';
        matching = { on, labels: this.parseLabelList(on ? 'on' : 'ignoring') };
      }
      if (this.isWord('group_left') || this.isWord('group_right')) {
        throw this.error(this.peek(), `${this.peek().text.toLowerCase()} (many-to-one matching) is not supported by promlite`);
      }
      const rhs = this.parseBinary(op === '^' ? PRECEDENCE[op] : PRECEDENCE[op] + 1);
      lhs = this.checkBinary({ kind: 'binary', op, lhs, rhs, returnBool, ...(matching ? { matching } : {}), pos: lhs.pos }, opTok);
    }
  }

  private checkBinary(e: Extract<Expr, { kind: 'binary' }>, opTok: Token): Expr {
    const lt = typeOf(e.lhs);
    const rt = typeOf(e.rhs);
    const comparison = COMPARISON_OPS.has(e.op);
    if (e.returnBool && !comparison) throw this.error(opTok, 'bool modifier can only be used on comparison operators');
    if ((lt !== 'scalar' && lt !== 'vector') || (rt !== 'scalar' && rt !== 'vector')) {
      throw this.error(e.pos, 'binary expression must contain only scalar and instant vector types');
    }
    if (comparison && lt === 'scalar' && rt === 'scalar' && !e.returnBool) throw this.error(opTok, 'comparisons between scalars must use BOOL modifier');
    if (SET_OPS.has(e.op) && (lt === 'scalar' || rt === 'scalar')) throw this.error(e.pos, `set operator "${e.op}" not allowed in binary scalar expression`);
    if (e.matching && (lt !== 'vector' || rt !== 'vector')) throw this.error(opTok, 'vector matching only allowed between instant vectors');
    return e;
  }

  private parseUnary(): Expr {
    const t = this.peek();
    if (this.isOp('-') || this.isOp('+')) {
      this.next();
      // Unary minus binds tighter than * and looser than ^ (-2^2 is -4).
      const expr = this.parseBinary(PRECEDENCE['^']);
      const type = typeOf(expr);
      if (type !== 'scalar' && type !== 'vector') {
        throw this.error(t, `unary expression only allowed on expressions of type scalar or instant vector, got "${TYPE_NAMES[type]}"`);
      }
      if (expr.kind === 'number') return { kind: 'number', value: t.text === '-' ? -expr.value : expr.value, pos: t.pos };
      return t.text === '+' ? expr : { kind: 'unary', op: '-', expr, pos: t.pos };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  private parsePrimary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case 'number':
        this.next();
        return { kind: 'number', value: t.value, pos: t.pos };
      case 'string':
        this.next();
        return { kind: 'string', value: t.text, pos: t.pos };
      case 'duration':
        throw this.error(t, `unexpected duration "${t.text}"`);
      case 'eof':
        throw this.error(t, 'unexpected end of input');
      case 'op':
        if (t.text === '(') {
          this.next();
          const expr = this.parseBinary(0);
          this.expectOp(')', 'in parenthesized expression');
          return { kind: 'paren', expr, pos: t.pos };
        }
        if (t.text === '{') return this.parseSelector(undefined, t);
        if (t.text === ')') throw this.error(t, "unexpected right parenthesis ')'");
        throw this.error(t, `unexpected ${describe(t)}`);
      case 'ident':
        return this.parseIdentifier(t);
    }
  }

  private parseIdentifier(t: Token): Expr {
    const word = t.text;
    const lower = word.toLowerCase();
    const after = this.peek(1);
    if (AGGREGATES.has(lower) && (this.isOp('(', after) || this.isWord('by', after) || this.isWord('without', after))) {
      return this.parseAggregate();
    }
    if (UNSUPPORTED_AGGREGATES.has(lower) && (this.isOp('(', after) || this.isWord('by', after) || this.isWord('without', after))) {
      throw this.error(t, `aggregation "${lower}" is not supported by promlite (supported: ${[...AGGREGATES].join(', ')})`);
    }
    if (this.isOp('(', after)) return this.parseCall();
    if (KEYWORD_OPS.has(lower) || ['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset'].includes(lower)) {
      throw this.error(t, `unexpected keyword "${word}"`);
    }
    this.next();
    return this.parseSelector(word, t);
  }

  private parseAggregate(): Expr {
    const t = this.next();
    const op = t.text.toLowerCase() as AggregateOp;
    let grouping: string[] = [];
    let without = false;
    let haveGrouping = false;
    const modifier = (): void => {
      if (this.isWord('by') || this.isWord('without')) {
        if (haveGrouping) throw this.error(this.peek(), `unexpected ${describe(this.peek())} in aggregation: grouping given twice`);
        without = this.next().text.toLowerCase() === 'without';
        grouping = this.parseLabelList(without ? 'without' : 'by');
        haveGrouping = true;
      }
    };
    modifier();
    const open = this.expectOp('(', 'in aggregation');
    if (this.isOp(')')) throw this.error(this.peek(), `no arguments for aggregate expression provided`);
    const expr = this.parseBinary(0);
    if (this.isOp(',')) throw this.error(this.peek(), `aggregation "${op}" takes one argument (parameters are only for topk, bottomk, quantile and count_values)`);
    this.expectOp(')', 'in aggregation');
    modifier();
    const type = typeOf(expr);
    if (type !== 'vector') throw this.error(open.pos + 1, `expected type instant vector in aggregation expression, got ${TYPE_NAMES[type]}`);
    return { kind: 'aggregate', op, grouping, without, expr, pos: t.pos };
  }

  private parseCall(): Expr {
    const t = this.next();
    const name = t.text;
    const def = FUNCTIONS[name];
    if (!def) {
      if (UNSUPPORTED_FUNCTIONS.has(name)) throw this.error(t, `function "${name}" is not supported by promlite`);
      throw this.error(t, `unknown function with name "${name}"`);
    }
    this.expectOp('(', 'in function call');
    const args: Expr[] = [];
    if (!this.isOp(')')) {
      for (;;) {
        args.push(this.parseBinary(0));
        if (!this.isOp(',')) break;
        this.next();
      }
    }
    this.expectOp(')', `in call to function "${name}"`);
    const min = def.args.length - (def.optional ?? 0);
    if (args.length < min || args.length > def.args.length) {
      const want = min === def.args.length ? `${min}` : `${min} to ${def.args.length}`;
      throw this.error(t, `expected ${want} argument(s) in call to "${name}", got ${args.length}`);
    }
    args.forEach((a, i) => {
      const want = def.args[i]!;
      const got = typeOf(a);
      if (got !== want) throw this.error(a.pos, `expected type ${TYPE_NAMES[want]} in call to function "${name}", got ${TYPE_NAMES[got]}`);
      if (want === 'matrix' && unparen(a).kind !== 'matrixSelector') throw this.error(a.pos, `promlite needs a range vector selector (like foo[5m]) in call to function "${name}"`);
    });
    return { kind: 'call', func: name, args, pos: t.pos };
  }

  /** `(a, b, …)` after by/without/on/ignoring; keywords are valid label names here. */
  private parseLabelList(context: string): string[] {
    this.expectOp('(', `after ${context}`);
    const labels: string[] = [];
    while (!this.isOp(')')) {
      const t = this.peek();
      if (t.kind !== 'ident' || !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(t.text)) {
        if (t.kind === 'eof') throw this.error(t, 'unclosed left parenthesis');
        throw this.error(t, `unexpected ${describe(t)} in grouping opts, expected label`);
      }
      labels.push(this.next().text);
      if (this.isOp(',')) this.next();
      else if (!this.isOp(')')) throw this.error(this.peek(), `unexpected ${describe(this.peek())} in grouping opts, expected "," or ")"`);
    }
    this.next();
    return labels;
  }

  private parseSelector(name: string | undefined, start: Token): VectorSelector {
    const matchers: Matcher[] = [];
    if (this.isOp('{')) {
      this.next();
      while (!this.isOp('}')) {
        const lt = this.peek();
        if (lt.kind !== 'ident' || !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(lt.text)) {
          if (lt.kind === 'eof') throw this.error(lt, 'unexpected end of input inside braces');
          throw this.error(lt, `unexpected ${describe(lt)} in label matching, expected label`);
        }
        this.next();
        const opTok = this.peek();
        if (!(opTok.kind === 'op' && ['=', '!=', '=~', '!~'].includes(opTok.text))) {
          throw this.error(opTok, `unexpected ${describe(opTok)} in label matching, expected one of "=", "!=", "=~" or "!~"`);
        }
        this.next();
        const vt = this.peek();
        if (vt.kind !== 'string') throw this.error(vt, `unexpected ${describe(vt)} in label matching, expected string`);
        this.next();
        try {
          matchers.push(newMatcher(lt.text, opTok.text as MatchType, vt.text));
        } catch (err) {
          throw this.error(vt, (err as Error).message);
        }
        if (this.isOp(',')) this.next();
        else if (!this.isOp('}')) throw this.error(this.peek(), `unexpected ${describe(this.peek())} in label matching, expected "," or "}"`);
      }
      this.next();
    }
    if (name !== undefined) {
      const named = matchers.find((m) => m.name === METRIC_NAME);
      if (named) throw this.error(start, `metric name must not be set twice: "${name}" or "${named.value}"`);
      matchers.unshift(newMatcher(METRIC_NAME, '=', name));
    }
    if (!matchers.some((m) => !m.matches(''))) throw this.error(start, 'vector selector must contain at least one non-empty matcher');
    return { kind: 'vectorSelector', ...(name !== undefined ? { name } : {}), matchers, offsetMs: 0, pos: start.pos };
  }

  /** `[range]`, `offset d` and the modifiers promlite refuses. */
  private parsePostfix(e: Expr): Expr {
    let expr = e;
    for (;;) {
      const t = this.peek();
      if (this.isOp('[')) {
        this.next();
        const d = this.peek();
        if (d.kind !== 'duration') {
          if (this.isOp(':')) throw this.error(d, 'subqueries are not supported by promlite');
          throw this.error(d, `unexpected ${describe(d)} in range selector, expected duration`);
        }
        this.next();
        if (this.isOp(':')) throw this.error(this.peek(), 'subqueries are not supported by promlite');
        this.expectOp(']', 'in range selector');
        if (expr.kind !== 'vectorSelector') {
          throw this.error(t, 'ranges only allowed for vector selectors');
        }
        if (d.value <= 0) throw this.error(d, 'duration must be greater than 0');
        expr = { kind: 'matrixSelector', selector: expr, rangeMs: d.value, pos: expr.pos };
        continue;
      }
      if (this.isWord('offset')) {
        this.next();
        let negative = false;
        if (this.isOp('-')) {
          this.next();
          negative = true;
        }
        const d = this.peek();
        if (d.kind !== 'duration') throw this.error(d, `unexpected ${describe(d)} in offset, expected duration`);
        if (negative) throw this.error(d, 'negative offsets are not supported by promlite');
        this.next();
        const sel = expr.kind === 'matrixSelector' ? expr.selector : expr.kind === 'vectorSelector' ? expr : undefined;
        if (!sel) throw this.error(t, 'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery');
        if (sel.offsetMs) throw this.error(t, 'offset may not be set multiple times');
        sel.offsetMs = d.value;
        continue;
      }
      if (this.isOp('@')) throw this.error(t, 'the @ modifier is not supported by promlite');
      return expr;
    }
  }
}

function unparen(e: Expr): Expr {
  return e.kind === 'paren' ? unparen(e.expr) : e;
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'end of input';
    case 'number':
      return `number "${t.text}"`;
    case 'duration':
      return `duration "${t.text}"`;
    case 'string':
      return `string ${JSON.stringify(t.text)}`;
    case 'ident':
      return `identifier "${t.text}"`;
    case 'op':
      return t.text === ',' ? '","' : `"${t.text}"`;
  }
}
