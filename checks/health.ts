/**
 * Node health: how many nodes have failed `consecutiveFailures` probes in a
 * row (seed 002: consecutive non-OK checks). The value is that count; the
 * default threshold fails on any.
 */
import type { Check } from './types.js';

export const healthCheck: Check = async (gate, ctx) => {
  const need = gate.health!.consecutiveFailures;
  if (ctx.nodes.length === 0) return { status: 'no data', reason: 'no nodes in the plan' };
  const probed = ctx.nodes.filter((n) => n.up !== null);
  if (probed.length === 0) return { status: 'no data', reason: 'no node probed yet' };
  const parts = ctx.nodes.map((n) => ({
    name: n.name,
    value: n.up === null ? null : n.consecutiveFailures,
    note: n.up === null ? 'not probed' : n.up ? 'ok' : n.last?.errorCode ?? n.last?.error ?? 'down',
  }));
  const unhealthy = ctx.nodes.filter((n) => n.up !== null && n.consecutiveFailures >= need);
  const failingNow = ctx.nodes.filter((n) => n.up === false).length;
  return {
    status: 'value',
    value: unhealthy.length,
    parts,
    note: `${unhealthy.length} of ${ctx.nodes.length} nodes with >= ${need} consecutive failures (${failingNow} failing now)`,
  };
};
