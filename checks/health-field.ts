/**
 * A field of the nodes' health JSON (seed 004: degraded_reason,
 * database_pool.state.saturation, resilience.policy_state.blocked), read from
 * every node's last answer and reduced across nodes (max by default).
 *
 * A node's answer is data whatever its HTTP code: a 503 body saying
 * DB_POOL_EXHAUSTED still holds its degraded_reason and pool state. A node
 * with no answer to read (unreachable, not JSON, stale, the field missing)
 * makes the whole gate `no data`: it fails closed, never `ok` on the nodes
 * that happened to answer. `absent: ok` makes a field that is absent, null or
 * "" mean healthy (degraded_reason: null); `expect: ok` fails on any node
 * answering something else.
 */
import * as z from 'zod';
import type { Value } from './types.js';
import type { GateSpec } from '../src/plan/schema.js';
import type { NodeStatus } from '../src/sources/types.js';
import type { Check, GateKindModule } from './types.js';
import { asValue, getPath, nodesFor, reduceValues } from './value.js';

/** The healthField kind's part of a gate's schema: the field's path, and what a healthy node answers. */
export const healthFieldFields = {
  healthField: z.string().min(1).optional(),
  /** The value a healthy node answers (`expect: ok`); the gate fails when a node answers another. */
  expect: z.union([z.string(), z.number(), z.boolean()]).optional(),
  /** `ok` when a field absent, null or "" means healthy (seed 004's degraded_reason); default no data. */
  absent: z.enum(['ok', 'no data']).optional(),
};

type Part = { name: string; value: Value | null; note?: string };
type Read = { part: Part; kind: 'value' | 'absent-ok' | 'missing' };

export const healthFieldCheck: Check = async (gate, ctx) => {
  const path = gate.healthField!;
  const nodes = nodesFor(gate, ctx);
  if (typeof nodes === 'string') return { status: 'no data', reason: nodes };
  if (nodes.length === 0) return { status: 'no data', reason: 'no nodes in the plan' };
  const now = ctx.clock.now();
  const reads = nodes.map((n) => readNode(gate, n, path, now));
  const parts = reads.map((r) => r.part);
  const missing = reads.filter((r) => r.kind === 'missing');
  if (missing.length) {
    const which = missing.slice(0, 4).map((r) => `${r.part.name} (${r.part.note})`).join(', ');
    return { status: 'no data', reason: `no ${path} from ${which}${missing.length > 4 ? ` and ${missing.length - 4} more` : ''}`, parts };
  }
  const values = reads.filter((r) => r.kind === 'value').map((r) => r.part.value as Value);
  const absentOk = reads.length - values.length;
  if (values.length === 0) return { status: 'clear', note: `${path} absent or empty on all ${nodes.length} nodes (absent means ok)`, parts };
  const reducer = gate.reduce ?? 'max';
  // With `expect`, the gate's value is a node's that differs, when one does (a reducer could hide it).
  const value = gate.expect !== undefined ? (values.find((v) => v !== gate.expect) ?? gate.expect) : reduceValues(values, reducer)!;
  const how = gate.expect !== undefined ? `${values.filter((v) => v === gate.expect).length} of ${values.length} nodes answer ${JSON.stringify(gate.expect)}` : `${reducer} over ${values.length} node${values.length === 1 ? '' : 's'}`;
  return { status: 'value', value, parts, note: `${how}${absentOk ? `, ${absentOk} without ${path} (absent means ok)` : ''}` };
};

export const healthFieldKind: GateKindModule = {
  kind: 'healthField',
  ownFields: ['expect', 'absent'],
  source: 'nodes',
  check: healthFieldCheck,
  describe: (g) => `health field ${g.healthField}`,
  // `expect: ok` is the threshold: any node answering something else fails.
  defaultFail: (g) => (g.expect !== undefined ? `!= ${JSON.stringify(g.expect)}` : undefined),
  probesToDecide: () => 1,
  // Nodes without a value to read (fail closed), and nodes whose value breaches.
  blockingNodes: (parts, breaches) => parts.filter((p) => (p.value === null ? !p.note?.endsWith('(ok)') : breaches(p.value))).map((p) => p.name),
  readsNumber: true,
};

function readNode(gate: GateSpec, n: NodeStatus, path: string, now: number): Read {
  const last = n.last;
  const missing = (note: string): Read => ({ part: { name: n.name, value: null, note }, kind: 'missing' });
  if (!last) return missing('not probed');
  if (gate.staleAfter !== undefined && last.at < now - gate.staleAfter) return missing('stale answer');
  if (last.body === undefined) return missing(`no health answer: ${last.errorCode ?? last.error ?? 'down'}`);
  // A field can only be absent from a document: JSON null, an array or a number is no health answer at all.
  if (last.body === null || typeof last.body !== 'object' || Array.isArray(last.body)) return missing(`no health answer: ${last.error ?? 'health body is not an object'}`);
  const raw = getPath(last.body, path);
  const code = last.status !== undefined && (last.status < 200 || last.status >= 300) ? `HTTP ${last.status}${last.errorCode ? ` ${last.errorCode}` : ''}` : undefined;
  if (raw === undefined || raw === null || raw === '') {
    const what = raw === undefined ? 'absent' : raw === null ? 'null' : 'empty';
    // Absent means ok in an answer the node gave as healthy (2xx); a failed answer without the field says nothing good.
    if (gate.absent === 'ok') return code ? missing(`${what}; ${code}`) : { part: { name: n.name, value: null, note: `${what} (ok)` }, kind: 'absent-ok' };
    if (raw === undefined) return missing(`field missing${code ? `; ${code}` : ''}`);
    if (raw === null) return missing(`null${code ? `; ${code}` : ''}`);
  }
  const value = asValue(raw);
  if (value === null) return missing(`not a scalar${code ? `; ${code}` : ''}`);
  // A numeric threshold reads numbers: "NaN", "n/a" or a boolean is no value (mixed in, a reducer would hide it).
  if ((gate.fail ?? []).some((t) => typeof t.value === 'number') && typeof value !== 'number') {
    const num = typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
    if (!Number.isFinite(num)) return missing(`${JSON.stringify(value).slice(0, 30)} is not a number${code ? `; ${code}` : ''}`);
    return { part: { name: n.name, value: num, note: code }, kind: 'value' };
  }
  return { part: { name: n.name, value, note: code }, kind: 'value' };
}
