/**
 * A field of the nodes' health JSON (seed 004: degraded_reason,
 * database_pool.state.saturation, resilience.policy_state.blocked), read from
 * every node that answered and reduced across nodes (max by default).
 */
import type { Value } from '../src/engine/types.js';
import type { Check } from './types.js';
import { asValue, getPath, nodesFor, reduceValues } from './value.js';

export const healthFieldCheck: Check = async (gate, ctx) => {
  const path = gate.healthField!;
  const nodes = nodesFor(gate, ctx);
  if (typeof nodes === 'string') return { status: 'no data', reason: nodes };
  if (nodes.length === 0) return { status: 'no data', reason: 'no nodes in the plan' };
  const now = ctx.clock.now();
  const parts = nodes.map((n) => {
    const fresh = n.up === true && (gate.staleAfter === undefined || (n.lastOkAt ?? 0) >= now - gate.staleAfter);
    if (!fresh) return { name: n.name, value: null, note: n.up === null ? 'not probed' : 'no fresh health answer' };
    const raw = getPath(n.last?.body, path);
    const value = asValue(raw);
    return { name: n.name, value, note: raw === undefined ? 'field missing' : value === null ? 'not a scalar' : undefined };
  });
  const values = parts.map((p) => p.value).filter((v): v is Value => v !== null);
  if (values.length === 0) {
    const why = parts.every((p) => p.note === 'field missing') ? `field ${path} missing in every health answer` : `no node answered with ${path}`;
    return { status: 'no data', reason: why, parts };
  }
  const reducer = gate.reduce ?? 'max';
  const value = reduceValues(values, reducer)!;
  const missing = parts.length - values.length;
  return {
    status: 'value',
    value,
    parts,
    note: `${reducer} over ${values.length} node${values.length === 1 ? '' : 's'}${missing ? `, ${missing} without a value` : ''}`,
  };
};
