/**
 * Node health: how many nodes have failed `consecutiveFailures` probes in a
 * row (seed 002: consecutive non-OK checks). The value is that count; the
 * default threshold fails on any.
 */
import type { Check } from './types.js';
import { nodesFor } from './value.js';

export const healthCheck: Check = async (gate, ctx) => {
  const need = gate.health!.consecutiveFailures;
  const nodes = nodesFor(gate, ctx);
  if (typeof nodes === 'string') return { status: 'no data', reason: nodes };
  if (nodes.length === 0) return { status: 'no data', reason: 'no nodes in the plan' };
  const probed = nodes.filter((n) => n.up !== null);
  if (probed.length === 0) return { status: 'no data', reason: 'no node probed yet' };
  const parts = nodes.map((n) => ({
    name: n.name,
    value: n.up === null ? null : n.consecutiveFailures,
    note: n.up === null ? 'not probed' : n.up ? 'ok' : n.last?.errorCode ?? n.last?.error ?? 'down',
  }));
  const unhealthy = nodes.filter((n) => n.up !== null && n.consecutiveFailures >= need);
  const failingNow = nodes.filter((n) => n.up === false).length;
  return {
    status: 'value',
    value: unhealthy.length,
    parts,
    note: `${unhealthy.length} of ${nodes.length} nodes with >= ${need} consecutive failures (${failingNow} failing now)`,
  };
};
