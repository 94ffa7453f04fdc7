/**
 * Node health: how many nodes have failed `consecutiveFailures` probes in a
 * row (seed 002: consecutive non-OK checks). The value is that count; the
 * default threshold fails on any.
 */
import * as z from 'zod';
import type { Plan } from '../src/plan/schema.js';
import type { HealthExpect } from '../src/sources/nodes.js';
import type { Check, GateKindModule } from './types.js';
import { nodesFor } from './value.js';

/** The health kind's part of a gate's schema. */
export const healthFields = {
  health: z
    .object({
      consecutiveFailures: z.number().int().min(1).default(1),
      deep: z.boolean().default(false),
      /** Body fields a healthy answer must have besides a 2xx code (`{ status: ok }`): `a.b` paths to expected values. */
      expect: z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean()])).optional(),
    })
    .strict()
    .optional(),
};

/**
 * The body fields every health gate of the plan requires (`health: { expect: { status: ok } }`), for the
 * shallow or the deep probes: the node poller judges each answer by them, so a 200 `{"status":"degraded"}`
 * is a failed probe that counts toward `consecutiveFailures`. Several gates' requirements all apply.
 */
export function healthExpectations(plan: Pick<Plan, 'gates' | 'stages'>, deep: boolean): HealthExpect | undefined {
  const out: HealthExpect = {};
  for (const g of [...plan.gates, ...plan.stages.flatMap((s) => s.gates)]) {
    if (g.health?.expect && g.health.deep === deep) Object.assign(out, g.health.expect);
  }
  return Object.keys(out).length ? out : undefined;
}

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
  const failingNow = nodes.filter((n) => n.up === false);
  const unprobed = nodes.filter((n) => n.up === null);
  // A node down fewer times in a row than the gate needs is a breach building, never ok; so is a node not probed yet.
  const building = nodes.filter((n) => n.up === false && n.consecutiveFailures < need);
  const buildingWhy = [
    ...building.map((n) => `${n.name} failed ${n.consecutiveFailures} of ${need} probes in a row`),
    ...(unprobed.length ? [`${unprobed.map((n) => n.name).join(', ')} not probed yet`] : []),
  ].join('; ');
  return {
    status: 'value',
    value: unhealthy.length,
    parts,
    note: `${unhealthy.length} of ${nodes.length} nodes with >= ${need} consecutive failures (${failingNow.length} failing now)`,
    building: unhealthy.length === 0 && buildingWhy ? buildingWhy : undefined,
  };
};

export const healthKind: GateKindModule = {
  kind: 'health',
  source: 'nodes',
  check: healthCheck,
  describe: (g) => `node health: ${g.health!.consecutiveFailures} consecutive failures${g.health!.deep ? ' (deep)' : ''}`,
  defaultFail: () => '> 0',
  readsDeepHealth: (g) => g.health!.deep,
  probesToDecide: (g) => g.health!.consecutiveFailures,
  // Every node not answering ok: down (however many times in a row) or not probed yet.
  blockingNodes: (parts) => parts.filter((p) => p.note !== 'ok').map((p) => p.name),
};
