/**
 * Reads a plan (YAML, or JSON, which parses as YAML), refuses literal
 * secrets, validates it against the schema and the cross-field checks, and
 * reports every problem at once as `file:line:col path: message`, where the
 * line and column are those of the offending node: the key for an unknown
 * key, the enclosing mapping for a missing key, the value for a bad value.
 */
import { isAbsolute, resolve } from 'node:path';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import {
  checkedSource, formatPath, formatProblem, parseJsonPlanText, PlanError, textDigest, type LoadedPlan, type PlanProblem,
} from './plan-file.js';
import { planSchema } from './schema.js';
import { findLiteralSecrets, type PathSeg } from './secrets.js';
import { THRESHOLD_EXAMPLE } from './threshold.js';
import { validatePlan } from './validate-plan.js';
import { unclosedQuotes, valueOffset } from './yaml-source.js';
import leven from 'leven';

// What a plan and its problems are, reading a plan file, and the JSON fast path live in plan-file.ts (no yaml).
export {
  formatPath, formatProblem, hasDuplicateKey, loadPlan, planPath, PlanError, withOverrides,
  type LoadedPlan, type PlanOverrides, type PlanProblem,
} from './plan-file.js';

// ------------------------------------------------------------ loading

/** Validates plan text; `file` is the name shown in messages, `dir` where relative paths resolve. */
export function parsePlanText(text: string, file: string, dir: string): LoadedPlan {
  return parseJsonPlanText(text, file, dir) ?? parseYamlPlanText(text, file, dir);
}

/** Plan text through the yaml library: every problem with its line and column. */
export function parseYamlPlanText(text: string, file: string, dir: string): LoadedPlan {
  const problem = (line: number, column: number, message: string): PlanProblem => ({ file, line, column, path: '', message });
  const source = checkedSource(text, file);
  const lc = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) throw new PlanError(yamlProblems(doc.errors, source, lc, problem));
  let input: unknown;
  try {
    input = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new PlanError([problem(1, 1, `invalid YAML: ${(err as Error).message}`)]);
  }
  if (input === null || input === undefined) throw new PlanError([problem(1, 1, 'the plan is empty: expected a mapping with at least service and stages')]);

  const at = (path: PathSeg[], mode: At, message: string, index?: number): PlanProblem => {
    const pos = locate(doc, lc, path, mode, source, index);
    return { file, line: pos.line, column: pos.column, path: formatPath(path), message };
  };
  const problems: PlanProblem[] = [];

  // Secrets first: the schema would only say "unknown key" (or worse, accept the value).
  const secrets = findLiteralSecrets(input);
  const secretPaths = secrets.map((s) => formatPath(s.path));
  const coveredBySecret = (p: string) => secretPaths.some((s) => p === s || p.startsWith(`${s}.`) || p.startsWith(`${s}[`));

  const parsed = planSchema.safeParse(input, { reportInput: true, error: () => DEFAULT_MESSAGE });
  if (!parsed.success) {
    for (const d of describeIssues(parsed.error.issues, input)) problems.push(at(d.path, d.at, d.message));
  }
  // Cross-field rules and queries read the raw plan: reported with the schema's problems, in one pass.
  for (const c of validatePlan(input)) problems.push(at(c.path, c.at ?? 'value', c.message, c.index));
  const reported = new Set<string>();
  const kept = problems.filter((p) => {
    const key = formatProblem(p);
    if (reported.has(key) || coveredBySecret(p.path)) return false;
    reported.add(key);
    return true;
  });
  for (const s of secrets) kept.push(at(s.path, s.at, s.message));
  if (kept.length > 0 || !parsed.success) {
    kept.sort((a, b) => a.line - b.line || a.column - b.column);
    throw new PlanError(kept);
  }
  return { plan: parsed.data, file: isAbsolute(file) ? file : resolve(file), dir, textSha256: textDigest(text) };
}



/** YAML errors as problems; a quoted string that is never closed is reported where it opens. */
function yamlProblems(
  errors: ReadonlyArray<{ code: string; message: string; pos: [number, number] }>,
  source: string,
  lc: LineCounter,
  problem: (line: number, column: number, message: string) => PlanProblem,
): PlanProblem[] {
  const lines = source.split('\n');
  const out: PlanProblem[] = [];
  const unclosed = unclosedQuotes(source);
  for (const q of unclosed) {
    const { line, col } = lc.linePos(q.offset);
    out.push(problem(line, col, `invalid YAML: this ${q.quote}quoted string is never closed (missing its closing ${q.quote})`));
  }
  for (const e of errors) {
    // The parser notices a missing quote only where the text ends, and what follows are its echoes.
    if (unclosed.length > 0 && (e.code === 'MISSING_CHAR' || e.pos[0] >= unclosed[0]!.offset)) continue;
    const { line, col } = lc.linePos(e.pos[0]);
    out.push(problem(line, col, yamlMessage(e.message, lines[line - 1] ?? '')));
  }
  return out.sort((a, b) => a.line - b.line || a.column - b.column);
}

function yamlMessage(raw: string, lineText: string): string {
  let message = raw.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  if (/:\s*[>|][-+]?\s*[=<>]?\s*[-+]?\.?\d/.test(lineText)) {
    message += ' (a threshold that starts with > must be quoted, such as fail: "> 0.05")';
  }
  return `invalid YAML: ${message}`;
}

/**
 * For problems found after loading (by asking Prometheus): the plan's text
 * parsed again, and a function that places a field path (and an index inside
 * a string value) at its line and column.
 */
export function planLocator(text: string, file: string): (path: PathSeg[], message: string, index?: number) => PlanProblem {
  const source = text.replace(/^\uFEFF/, '');
  const lc = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lc, prettyErrors: false });
  return (path, message, index) => {
    const pos = locate(doc, lc, path, 'value', source, index);
    return { file, line: pos.line, column: pos.column, path: formatPath(path), message };
  };
}

// ------------------------------------------------------------ locating nodes

/** key: the key of the last segment; value: its value; parent: the mapping that should hold it. */
type At = 'key' | 'value' | 'parent';

function locate(doc: Document, lc: LineCounter, path: PathSeg[], mode: At, source: string, index?: number): { line: number; column: number } {
  const target = mode === 'parent' ? path.slice(0, -1) : path;
  let node: unknown = doc.contents;
  let key: unknown;
  let matched = 0;
  for (const seg of target) {
    const n = isAlias(node) ? node.resolve(doc) : node;
    if (isMap(n)) {
      const pair = n.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      key = pair.key;
      node = pair.value;
    } else if (isSeq(n) && typeof seg === 'number' && seg < n.items.length) {
      key = undefined;
      node = n.items[seg];
    } else break;
    matched++;
  }
  const start = (x: unknown): number | undefined => {
    const r = (x as { range?: [number, number, number] } | null | undefined)?.range;
    if (!r) return undefined;
    // An empty value (`fail:` with nothing after it) has no text of its own: use the key.
    if (isScalar(x) && x.value === null && r[0] === r[1]) return undefined;
    return r[0];
  };
  const inside = index !== undefined && matched === target.length && mode === 'value' && isScalar(node) ? valueOffset(source, node, index) : undefined;
  const offset = inside ?? (matched === target.length && mode === 'key' ? start(key) : undefined) ?? start(node) ?? start(key) ?? 0;
  const { line, col } = lc.linePos(offset);
  return { line, column: col };
}

// ------------------------------------------------------------ zod issues -> messages

/** Marks zod's own messages (the schema's custom messages are kept as written). */
const DEFAULT_MESSAGE = '\u0000default';

type Issue = z.core.$ZodIssue;

interface Described {
  path: PathSeg[];
  at: At;
  message: string;
}

function valueAt(root: unknown, path: PathSeg[]): unknown {
  let v = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'an empty value';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'a list';
  return 'a mapping';
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string', number: 'a number', int: 'an integer', boolean: 'true or false', array: 'a list',
  object: 'a mapping', record: 'a mapping', null: 'an empty value', bigint: 'an integer', date: 'a date',
};

function quote(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function shortValue(v: unknown): string {
  return (typeof v === 'string' && v.length <= 40) || typeof v === 'number' || typeof v === 'boolean' ? `, got ${quote(v)}` : '';
}

function defaultMessage(iss: Issue): string {
  switch (iss.code) {
    case 'invalid_type':
      return `expected ${TYPE_NAMES[iss.expected] ?? iss.expected}, got ${describeValue(iss.input)}`;
    case 'too_small': {
      const n = Number(iss.minimum);
      if (iss.origin === 'array') return `expected at least ${n} item${n === 1 ? '' : 's'}`;
      if (iss.origin === 'string') return n <= 1 ? 'expected a non-empty string' : `expected at least ${n} characters`;
      return `expected a number ${iss.inclusive === false ? '>' : '>='} ${n}${shortValue(iss.input)}`;
    }
    case 'too_big': {
      const n = Number(iss.maximum);
      if (iss.origin === 'array') return `expected at most ${n} item${n === 1 ? '' : 's'}`;
      if (iss.origin === 'string') return `expected at most ${n} characters`;
      return `expected a number ${iss.inclusive === false ? '<' : '<='} ${n}${shortValue(iss.input)}`;
    }
    case 'invalid_value':
      return iss.values.length === 1
        ? `expected ${quote(iss.values[0])}${shortValue(iss.input)}`
        : `expected one of ${iss.values.map(quote).join(', ')}${shortValue(iss.input)}`;
    case 'invalid_format': {
      const f = iss as z.core.$ZodIssueInvalidStringFormat & { prefix?: string; suffix?: string; includes?: string };
      if (f.format === 'starts_with') return `expected a string starting with ${JSON.stringify(f.prefix)}`;
      if (f.format === 'ends_with') return `expected a string ending with ${JSON.stringify(f.suffix)}`;
      if (f.format === 'includes') return `expected a string containing ${JSON.stringify(f.includes)}`;
      if (f.format === 'regex') return `expected a string matching ${f.pattern}`;
      if (f.format === 'url') return 'expected an absolute URL';
      return `expected ${f.format === 'email' ? 'an email address' : `a valid ${f.format}`}`;
    }
    case 'not_multiple_of':
      return `expected a multiple of ${iss.divisor}`;
    case 'invalid_key':
      return 'expected a valid key';
    case 'invalid_element':
      return 'expected valid entries';
    default:
      return 'is not valid';
  }
}

const MISSING_HINTS: Record<string, string> = {
  service: ' naming the service, such as service: dhash',
  stages: ' of stages, such as stages: [{ id: canary, gates: [...] }]',
};

function messageOf(iss: Issue): string {
  return iss.message === DEFAULT_MESSAGE ? defaultMessage(iss) : iss.message;
}

/** A branch of a union that does not even have the right shape (wrong type, missing key, unknown key). */
function isShapeMismatch(iss: Issue, allowUnknownKeys: boolean): boolean {
  if (iss.path.length === 0 && iss.code === 'unrecognized_keys') return !allowUnknownKeys;
  if (iss.path.length === 0 && (iss.code === 'invalid_type' || iss.code === 'invalid_value')) return true;
  if (iss.code === 'invalid_type' && iss.path.length === 1 && iss.input === undefined) return true;
  if (iss.code === 'invalid_union' && iss.path.length === 0) return iss.errors.every((b) => b.some((i) => isShapeMismatch(i, false)));
  return false;
}

/** The one branch the input was clearly meant for, if there is one. */
function chosenBranch(iss: z.core.$ZodIssueInvalidUnion): Issue[] | undefined {
  const exact = iss.errors.filter((b) => !b.some((i) => isShapeMismatch(i, false)));
  if (exact.length === 1) return exact[0];
  if (exact.length > 1) return undefined;
  const loose = iss.errors.filter((b) => !b.some((i) => isShapeMismatch(i, true)));
  return loose.length === 1 ? loose[0] : undefined;
}

function unionMessage(path: PathSeg[], iss: z.core.$ZodIssueInvalidUnion): string {
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  const got = `, got ${describeValue(iss.input)}`;
  if (last === 'fail' || last === 'warn') return `expected ${THRESHOLD_EXAMPLE}, or a list of them${got}`;
  if (last === 'promote' || last === 'rollback') {
    return 'expected exactly one form of action: { run: [argv...] } (a command), { http: { url, ... } } (an HTTP call) or { steps: [ ... ] } (ordered steps)';
  }
  if (last === 'dryRun') return `expected a list of arguments appended under --dry-run (such as [--dry-run]), or false to skip this under --dry-run${got}`;
  if (parent === 'headers') return `expected a string, or { env: NAME } / { file: PATH } for a secret value${got}`;
  if (iss.message !== DEFAULT_MESSAGE) return iss.message;
  const forms = iss.errors.map((b) => b.find((i) => i.path.length === 0 && i.code === 'invalid_type') as z.core.$ZodIssueInvalidType | undefined);
  const names = [...new Set(forms.filter((f) => f !== undefined).map((f) => TYPE_NAMES[f.expected] ?? f.expected))];
  return names.length > 0 ? `expected ${names.join(' or ')}${got}` : `does not match any accepted form${got}`;
}

// ------------------------------------------------------------ schema keys (for unknown-key hints)

type AnySchema = { _zod: { def: Record<string, unknown> & { type: string } } };

function expand(s: AnySchema): AnySchema[] {
  const def = s._zod.def;
  switch (def.type) {
    case 'optional': case 'nullable': case 'default': case 'prefault': case 'catch': case 'readonly': case 'nonoptional':
      return expand(def.innerType as AnySchema);
    case 'pipe':
      return expand(def.in as AnySchema);
    case 'union':
      return (def.options as AnySchema[]).flatMap(expand);
    default:
      return [s];
  }
}

function keysAt(path: PathSeg[]): string[] {
  let current = expand(planSchema as unknown as AnySchema);
  for (const seg of path) {
    const next: AnySchema[] = [];
    for (const s of current) {
      const def = s._zod.def;
      if (def.type === 'object' && typeof seg === 'string') {
        const child = (def.shape as Record<string, AnySchema>)[seg];
        if (child) next.push(...expand(child));
      } else if (def.type === 'array' && typeof seg === 'number') next.push(...expand(def.element as AnySchema));
      else if (def.type === 'record') next.push(...expand(def.valueType as AnySchema));
    }
    current = next;
  }
  return [...new Set(current.flatMap((s) => (s._zod.def.type === 'object' ? Object.keys(s._zod.def.shape as object) : [])))];
}

/** Edit distance, case folded (a typo's closest name). */
function distance(a: string, b: string): number {
  return leven(a.toLowerCase(), b.toLowerCase());
}

function unknownKeyMessage(key: string, known: string[]): string {
  const best = known.map((k) => [k, distance(key, k)] as const).sort((a, b) => a[1] - b[1])[0];
  if (best && best[1] <= Math.max(1, Math.floor(best[0].length / 3))) return `unknown key "${key}" (did you mean "${best[0]}"?)`;
  return known.length > 0 ? `unknown key "${key}"; expected one of: ${known.join(', ')}` : `unknown key "${key}"`;
}

/** Zod issues as problems at paths of the input, unions resolved to the branch the input meant. */
function describeIssues(issues: readonly Issue[], input: unknown, base: PathSeg[] = []): Described[] {
  const out: Described[] = [];
  for (const iss of issues) {
    const path = [...base, ...(iss.path as PathSeg[])];
    if (iss.code === 'unrecognized_keys') {
      const known = keysAt(path);
      for (const key of iss.keys) out.push({ path: [...path, key], at: 'key', message: unknownKeyMessage(key, known) });
    } else if (iss.code === 'invalid_union') {
      const branch = chosenBranch(iss);
      if (branch) out.push(...describeIssues(branch, input, path));
      else out.push({ path, at: 'value', message: unionMessage(path, iss) });
    } else if (valueAt(input, path) === undefined && path.length > 0) {
      const expected = iss.code === 'invalid_type' && iss.message === DEFAULT_MESSAGE ? `expected ${TYPE_NAMES[iss.expected] ?? iss.expected}` : messageOf(iss);
      out.push({ path, at: 'parent', message: `missing; ${expected}${MISSING_HINTS[formatPath(path)] ?? ''}` });
    } else {
      let message = messageOf(iss);
      if (iss.code === 'invalid_type' && iss.message !== DEFAULT_MESSAGE && !/, got /.test(message)) message += `, got ${describeValue(iss.input)}`;
      out.push({ path, at: 'value', message });
    }
  }
  return out;
}

// ------------------------------------------------------------ helpers for callers

