/**
 * The demo's traffic split: PCT% of the fleet's nodes (at least one, unless 0) on v2 with that
 * share of the traffic, the rest on v1 with the remainder. The same split the demo plan's
 * scripts/shift-traffic.mjs makes through the fleet's control server; the demo makes it itself
 * before the first poll, for the stage the rollout starts in.
 */
import type { Fleet } from '../simulator/index.js';

/** The share of the demo plan's first stage (canary-10). */
export const FIRST_STAGE_PERCENT = 10;

/** How many of `nodes` run v2 at `percent`. */
export function v2Count(nodes: number, percent: number): number {
  return percent === 0 ? 0 : Math.min(nodes, Math.max(1, Math.round((nodes * percent) / 100)));
}

export async function splitTraffic(fleet: Pick<Fleet, 'nodes' | 'setFault'>, percent: number): Promise<void> {
  const n = fleet.nodes.length;
  const v2 = v2Count(n, percent);
  const all = [...Array(n).keys()];
  if (v2 < n) await fleet.setFault(all.slice(v2), { version: 'v1', trafficPercent: 100 - percent });
  if (v2 > 0) await fleet.setFault(all.slice(0, v2), { version: 'v2', trafficPercent: percent });
}
