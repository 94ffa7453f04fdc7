/**
 * PromQL as the plan validator sees it, through Prometheus's own grammar
 * (@prometheus-io/lezer-promql): syntax errors with the offset of the
 * offending token, a few type rules the grammar does not encode (a range
 * function needs a range vector; a range vector is not an operand; a selector
 * needs a metric name or a non-empty matcher), and the selectors of a query
 * (for asking Prometheus whether they have series).
 */
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode, Tree } from '@lezer/common';

export interface PromQLProblem {
  /** Index into the query text of the offending token. */
  offset: number;
  message: string;
}

export interface PromQLSelector {
  /** The selector as written, such as http_requests_total{job="api"}. */
  text: string;
  /** The metric name, when the selector names one. */
  metric?: string;
  offset: number;
}

export function parsePromQL(query: string): Tree {
  return parser.parse(query);
}

/** Functions whose argument (at the given index) is a range vector. */
const RANGE_ARG: Record<string, number> = {
  rate: 0, irate: 0, increase: 0, delta: 0, idelta: 0, deriv: 0, predict_linear: 0, changes: 0, resets: 0,
  holt_winters: 0, double_exponential_smoothing: 0, avg_over_time: 0, min_over_time: 0, max_over_time: 0,
  sum_over_time: 0, count_over_time: 0, stddev_over_time: 0, stdvar_over_time: 0, last_over_time: 0,
  first_over_time: 0, present_over_time: 0, absent_over_time: 0, mad_over_time: 0, quantile_over_time: 1,
  ts_of_max_over_time: 0, ts_of_min_over_time: 0, ts_of_last_over_time: 0, ts_of_first_over_time: 0,
};

const RANGE_NODES = new Set(['MatrixSelector', 'SubqueryExpr']);
/** Nodes that keep the type of their first child. */
const TRANSPARENT = new Set(['ParenExpr', 'OffsetExpr', 'StepInvariantExpr', 'AnchoredExpr', 'SmoothedExpr']);

/** Every problem of a query; at most one syntax error (the first; the rest are its echoes). */
export function promqlProblems(query: string): PromQLProblem[] {
  return problemsIn(query, parsePromQL(query));
}

function problemsIn(query: string, tree: Tree): PromQLProblem[] {
  if (query.trim() === '') return [{ offset: 0, message: 'the query is empty' }];
  const unterminated = unterminatedString(query);
  if (unterminated !== undefined) {
    return [{ offset: unterminated, message: `unterminated string: the ${query[unterminated]} opened here is never closed` }];
  }
  let error: SyntaxNode | undefined;
  tree.iterate({
    enter(n) {
      if (error) return false;
      if (n.type.isError) {
        error = n.node;
        return false;
      }
      return undefined;
    },
  });
  if (error) return [syntaxProblem(query, error)];
  return typeProblems(query, tree);
}

/** The vector selectors of a query that parses (empty for one that does not). */
export function promqlSelectors(query: string): PromQLSelector[] {
  const tree = parsePromQL(query);
  if (problemsIn(query, tree).length > 0) return [];
  const out: PromQLSelector[] = [];
  tree.iterate({
    enter(n) {
      if (n.name !== 'VectorSelector') return undefined;
      const node = n.node;
      const id = node.getChild('Identifier');
      let metric = id ? query.slice(id.from, id.to) : undefined;
      if (!metric) {
        for (const m of matchers(node, query)) if (m.name === '__name__' && m.op === '=') metric = m.value;
      }
      out.push({ text: query.slice(n.from, n.to), ...(metric ? { metric } : {}), offset: n.from });
      return false;
    },
  });
  return out;
}

// ------------------------------------------------------------ syntax errors

const TOKEN = /^(?:[A-Za-z_:][\w:]*|\d[\w.]*|"(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?|`[^`]*`?|=~|!~|!=|==|>=|<=|[^\s])/;

function tokenAt(query: string, offset: number): string {
  return TOKEN.exec(query.slice(offset))?.[0] ?? '';
}

function quoteToken(t: string): string {
  return JSON.stringify(t.length > 30 ? `${t.slice(0, 27)}...` : t);
}

/** Offsets of the last token before `end` (skipping spaces and comments). */
function lastToken(query: string, end: number): { offset: number; text: string } | undefined {
  const code = stripComments(query).slice(0, end);
  const trimmed = code.replace(/\s+$/, '');
  if (trimmed === '') return undefined;
  // Scan tokens from the start so strings and multi-character operators are whole.
  let last: { offset: number; text: string } | undefined;
  let i = 0;
  while (i < trimmed.length) {
    if (/\s/.test(trimmed[i]!)) {
      i++;
      continue;
    }
    const t = tokenAt(trimmed, i) || trimmed[i]!;
    last = { offset: i, text: t };
    i += t.length;
  }
  return last;
}

function syntaxProblem(query: string, err: SyntaxNode): PromQLProblem {
  const end = stripComments(query).replace(/\s+$/, '').length;
  const open = unclosedBracket(query, err.from);
  if (err.from >= end) {
    const last = lastToken(query, end);
    if (last && /^(?:[-+*/%^]|==|!=|>=|<=|[<>=,]|=~|!~|and|or|unless|by|without|on|ignoring|group_left|group_right|bool|offset|@)$/i.test(last.text)) {
      const also = open ? `; and the "${query[open.offset]}" at column ${open.offset + 1} is never closed` : '';
      return { offset: last.offset, message: `PromQL syntax error: the query ends after ${quoteToken(last.text)}, which needs something after it${also}` };
    }
    if (open) return { offset: open.offset, message: `PromQL syntax error: this "${query[open.offset]}" is never closed (expected "${open.close}")` };
    return { offset: last?.offset ?? 0, message: `PromQL syntax error: unexpected end of the query after ${quoteToken(last?.text ?? '')}` };
  }
  const token = tokenAt(query, err.from);
  const parent = err.parent?.name;
  if (token === '(') {
    const before = lastToken(query, err.from);
    if (before && /^[A-Za-z_][\w:]*$/.test(before.text) && before.offset + before.text.length === err.from) {
      return { offset: before.offset, message: `PromQL syntax error: unknown function ${quoteToken(before.text)}` };
    }
  }
  if (parent === 'UnquotedLabelMatcher' || parent === 'QuotedLabelMatcher') {
    return { offset: err.from, message: `PromQL syntax error: unexpected ${quoteToken(token)} in a label matcher; a label value is a quoted string, such as job="api"` };
  }
  if ((token === ')' || token === ']' || token === '}') && !open) {
    return { offset: err.from, message: `PromQL syntax error: unexpected ${quoteToken(token)}: nothing is open here` };
  }
  return { offset: err.from, message: `PromQL syntax error: unexpected ${quoteToken(token)}` };
}

/** The query with comments blanked out (same length, so offsets hold). */
function stripComments(query: string): string {
  let out = '';
  let quote: string | undefined;
  for (let i = 0; i < query.length; i++) {
    const c = query[i]!;
    if (quote) {
      out += c;
      if (c === '\\' && quote !== '`' && i + 1 < query.length) out += query[++i]!;
      else if (c === quote) quote = undefined;
    } else if (c === '#') {
      while (i < query.length && query[i] !== '\n') {
        out += ' ';
        i++;
      }
      if (i < query.length) out += '\n';
    } else {
      if (c === '"' || c === "'" || c === '`') quote = c;
      out += c;
    }
  }
  return out;
}

/** Offset of the opening quote of a string that is never closed. */
function unterminatedString(query: string): number | undefined {
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < query.length; i++) {
    const c = query[i]!;
    if (quote) {
      if (c === '\\' && quote !== '`') i++;
      else if (c === quote) quote = undefined;
      else if (c === '\n' && quote !== '`') return start;
    } else if (c === '#') {
      while (i < query.length && query[i] !== '\n') i++;
    } else if (c === '"' || c === "'" || c === '`') {
      quote = c;
      start = i;
    }
  }
  return quote ? start : undefined;
}

const CLOSE: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/** The innermost bracket still open at `upTo`. */
function unclosedBracket(query: string, upTo: number): { offset: number; close: string } | undefined {
  const code = stripComments(query);
  const stack: number[] = [];
  let quote: string | undefined;
  for (let i = 0; i < Math.min(upTo, code.length); i++) {
    const c = code[i]!;
    if (quote) {
      if (c === '\\' && quote !== '`') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c in CLOSE) stack.push(i);
    else if (c === ')' || c === ']' || c === '}') stack.pop();
  }
  const at = stack.at(-1);
  return at === undefined ? undefined : { offset: at, close: CLOSE[code[at]!]! };
}

// ------------------------------------------------------------ types

function unwrap(node: SyntaxNode): SyntaxNode {
  let n = node;
  while (TRANSPARENT.has(n.name) && n.firstChild) n = n.firstChild;
  return n;
}

function args(body: SyntaxNode | null): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = body?.firstChild ?? null; c; c = c.nextSibling) if (!c.type.isError) out.push(c);
  return out;
}

function typeProblems(query: string, tree: Tree): PromQLProblem[] {
  const out: PromQLProblem[] = [];
  const allowedRange = new Set<number>();
  tree.iterate({
    enter(n) {
      const node = n.node;
      if (n.name === 'FunctionCall') {
        const fnNode = node.getChild('FunctionIdentifier');
        const fn = fnNode ? query.slice(fnNode.from, fnNode.to) : '';
        const index = RANGE_ARG[fn];
        if (index === undefined) return undefined;
        const arg = args(node.getChild('FunctionCallBody'))[index];
        if (!arg) return undefined;
        const inner = unwrap(arg);
        if (RANGE_NODES.has(inner.name)) allowedRange.add(inner.from);
        else {
          out.push({
            offset: arg.from,
            message: `${fn}() needs a range vector such as ${fn === 'quantile_over_time' ? 'quantile_over_time(0.9, x[5m])' : `${fn}(x[5m])`}, got ${describe(inner)}`,
          });
        }
      } else if (n.name === 'VectorSelector') {
        const hasName = node.getChild('Identifier') !== null;
        const ms = matchers(node, query);
        if (!hasName && !ms.some((m) => !matchesEmpty(m))) {
          out.push({ offset: n.from, message: 'a selector needs a metric name or at least one matcher that does not match the empty string, such as {job="api"}' });
        }
      }
      return undefined;
    },
  });
  // A range vector is only a function argument or the whole query.
  tree.iterate({
    enter(n) {
      if (!RANGE_NODES.has(n.name) || allowedRange.has(n.from)) return undefined;
      let outer = n.node;
      while (outer.parent && TRANSPARENT.has(outer.parent.name)) outer = outer.parent;
      if (outer.parent?.name === 'PromQL') return undefined;
      if (n.name === 'SubqueryExpr' && outer.parent?.name === 'FunctionCallBody') return undefined;
      out.push({ offset: n.from, message: `a range vector (${query.slice(n.from, Math.min(n.to, n.from + 40))}) cannot be used here; reduce it with a function such as rate(...) or avg_over_time(...)` });
      return false;
    },
  });
  return out.sort((a, b) => a.offset - b.offset);
}

function describe(node: SyntaxNode): string {
  switch (node.name) {
    case 'NumberDurationLiteral':
      return 'a number';
    case 'StringLiteral':
      return 'a string';
    default:
      return 'an instant vector';
  }
}

interface Matcher {
  name: string;
  op: string;
  value: string;
}

function matchers(selector: SyntaxNode, query: string): Matcher[] {
  const list = selector.getChild('LabelMatchers');
  const out: Matcher[] = [];
  for (let c = list?.firstChild ?? null; c; c = c.nextSibling) {
    if (c.name !== 'UnquotedLabelMatcher' && c.name !== 'QuotedLabelMatcher') continue;
    const nameNode = c.getChild('LabelName') ?? c.getChild('QuotedLabelName');
    const opNode = c.getChild('MatchOp');
    const valueNode = c.getChild('StringLiteral');
    if (!opNode || !valueNode) {
      // A bare quoted name: {"metric.name"} selects the metric.
      const bare = c.getChild('QuotedLabelName');
      if (bare) out.push({ name: '__name__', op: '=', value: unquote(query.slice(bare.from, bare.to)) });
      continue;
    }
    const rawName = nameNode ? query.slice(nameNode.from, nameNode.to) : '';
    out.push({
      name: nameNode?.name === 'QuotedLabelName' ? unquote(rawName) : rawName,
      op: query.slice(opNode.from, opNode.to),
      value: unquote(query.slice(valueNode.from, valueNode.to)),
    });
  }
  return out;
}

/** The value of a PromQL string literal ("..." and '...' with Go escapes, `...` raw). */
export function unquote(s: string): string {
  const q = s[0];
  const body = s.slice(1, -1);
  if (q === '`') return body;
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/g, (_m, e: string) => {
    switch (e[0]) {
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case 'a': return '\x07';
      case 'b': return '\b';
      case 'f': return '\f';
      case 'v': return '\v';
      case 'x': case 'u': case 'U': return String.fromCodePoint(parseInt(e.slice(1), 16));
      default: return /^[0-7]{3}$/.test(e) ? String.fromCharCode(parseInt(e, 8)) : e;
    }
  });
}

function matchesEmpty(m: Matcher): boolean {
  switch (m.op) {
    case '=': return m.value === '';
    case '!=': return m.value !== '';
    case '=~': case '!~': {
      let re: RegExp;
      try {
        re = new RegExp(`^(?:${m.value})$`);
      } catch {
        return false;
      }
      return re.test('') === (m.op === '=~');
    }
    default: return false;
  }
}
