/**
 * A plan file without the yaml library: what a loaded plan and its problems
 * are, reading a plan file, and the fast path of a JSON plan with no problem
 * (JSON.parse, the schema, the cross-field checks). A YAML plan, and any plan
 * with a problem, goes through load.ts (the yaml library, loaded then), which
 * places each problem at its line and column.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { planSchema, type NodeSpec, type Plan } from './schema.js';
import { findLiteralSecrets, type PathSeg } from './secrets.js';
import { validatePlan } from './validate-plan.js';

export interface LoadedPlan {
  plan: Plan;
  /** Absolute path of the plan file. */
  file: string;
  /** Directory relative paths in the plan resolve against. */
  dir: string;
  /** sha256 of the plan's text as read (a session looking at the file again knows it unchanged without parsing it). */
  textSha256?: string;
}

export interface PlanProblem {
  file: string;
  line: number;
  column: number;
  /** Field path such as stages[0].gates[2].fail */
  path: string;
  message: string;
}

export class PlanError extends Error {
  constructor(readonly problems: PlanProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'PlanError';
  }
}

export function formatProblem(p: PlanProblem): string {
  return `${p.file}:${p.line}:${p.column} ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

/** stages[0].gates[2].fail; keys that are not plain names are quoted: labels["a.b"]. */
export function formatPath(path: readonly PathSeg[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

// ------------------------------------------------------------ reading

const MAX_PLAN_BYTES = 1024 * 1024;

/** The plan text without its byte-order mark; a text over the size limit is a problem. */
export function checkedSource(text: string, file: string): string {
  if (Buffer.byteLength(text) > MAX_PLAN_BYTES) throw new PlanError([{ file, line: 1, column: 1, path: '', message: `a plan is at most ${MAX_PLAN_BYTES} bytes` }]);
  return text.replace(/^\uFEFF/, '');
}

export function textDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export async function loadPlan(file: string): Promise<LoadedPlan> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (code ?? 'read failed');
    throw new PlanError([{ file, line: 1, column: 1, path: '', message: `cannot read the plan: ${why}` }]);
  }
  const dir = dirname(resolve(file));
  // The yaml library loads only for a YAML plan, or to place the problems of a JSON one.
  return parseJsonPlanText(text, file, dir) ?? (await import('./load.js')).parseYamlPlanText(text, file, dir);
}

/** A JSON plan with no problem, parsed once; undefined for anything else (load.ts then says what is wrong, and where). */
export function parseJsonPlanText(text: string, file: string, dir: string): LoadedPlan | undefined {
  const plan = parseJsonPlan(checkedSource(text, file));
  return plan && { plan, file: isAbsolute(file) ? file : resolve(file), dir, textSha256: textDigest(text) };
}

/**
 * The fast path of a JSON plan (what generators write, such as a 200-node fleet): JSON.parse, and the
 * plan when it has no problem at all. Anything else (not JSON, a duplicate key, a literal secret, a
 * schema or cross-field problem) returns undefined, and the plan goes through the YAML parser, which
 * knows where each problem is (file:line:col) and reports them exactly as for a YAML plan.
 */
function parseJsonPlan(source: string): Plan | undefined {
  if (!/^\s*\{/.test(source)) return undefined;
  let input: unknown;
  try {
    input = JSON.parse(source);
  } catch {
    return undefined;
  }
  if (hasDuplicateKey(source)) return undefined;
  if (findLiteralSecrets(input).length > 0) return undefined;
  const parsed = planSchema.safeParse(input);
  if (!parsed.success || validatePlan(input).length > 0) return undefined;
  return parsed.data;
}

/**
 * Whether an object of this JSON text (JSON.parse accepted it) repeats a key, which JSON.parse would
 * take silently (the last one wins) where the YAML parser refuses it.
 */
export function hasDuplicateKey(json: string): boolean {
  const keys: Array<Set<string> | null> = []; // per open {: its keys; per open [: null
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x7b /* { */) keys.push(new Set());
    else if (c === 0x5b /* [ */) keys.push(null);
    else if (c === 0x7d /* } */ || c === 0x5d /* ] */) keys.pop();
    else if (c === 0x22 /* " */) {
      let j = i + 1;
      let escaped = false;
      while (json.charCodeAt(j) !== 0x22) {
        if (json.charCodeAt(j) === 0x5c /* \ */) {
          escaped = true;
          j++;
        }
        j++;
      }
      let k = j + 1;
      while (k < json.length && /\s/.test(json[k]!)) k++;
      const top = keys[keys.length - 1];
      if (json[k] === ':' && top) {
        const raw = json.slice(i + 1, j);
        const key = escaped ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (top.has(key)) return true;
        top.add(key);
      }
      i = j;
    }
  }
  return false;
}

/** A path of the plan (a script, an evidence file) made absolute against the plan's directory. */
export function planPath(loaded: LoadedPlan, p: string): string {
  return isAbsolute(p) ? p : resolve(loaded.dir, p);
}

export interface PlanOverrides {
  /** Replaces prometheus.url (and adds a prometheus section when the plan has none). */
  prometheusUrl?: string;
  /** Replaces the plan's nodes. */
  nodes?: NodeSpec[];
}

/** A copy of the plan pointed at another Prometheus or other nodes; the input is not changed. */
export function withOverrides(loaded: LoadedPlan, o: PlanOverrides): LoadedPlan {
  const plan: Plan = structuredClone(loaded.plan);
  if (o.prometheusUrl !== undefined) {
    // A plan without Prometheus gets one with the schema's defaults.
    plan.prometheus = plan.prometheus ? { ...plan.prometheus, url: o.prometheusUrl } : planSchema.shape.prometheus.unwrap().parse({ url: o.prometheusUrl });
  }
  if (o.nodes !== undefined) plan.nodes = o.nodes.map((n) => ({ ...n }));
  return { ...loaded, plan };
}
