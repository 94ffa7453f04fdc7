/** The nodes panel's list: the fleet summarised, trouble first. */
import { expect, it } from 'vitest';
import type { NodeStatus } from '../src/sources/types.js';
import { mulberry32 } from '../src/simulator/prng.js';
import { fleetSummary, nodeList, nodeReason } from './NodesPanel.js';
import { fleet, node } from '../test/helpers/state-fixture.js';

it('summarises a fleet and puts trouble first', () => {
  const nodes = fleet(412, { down: 2, open: 1, degraded: 1 });
  expect(fleetSummary(nodes).map((s) => s.text).join('')).toBe('412 nodes: 409 up, 3 down, 1 open breaker, 1 degraded');
  expect(nodeList(nodes, '').slice(0, 3).map((n) => n.up)).toEqual([false, false, false]);
});

it('orders by rank, then fleet order, and filters by name, URL or reason, as the sort it replaced did', () => {
  const rank = (n: NodeStatus) => (n.up === false ? 0 : n.breaker !== 'closed' ? 1 : n.up === null ? 2 : n.degradedReason ? 3 : 4);
  /** The list as it was built before: wrapped, filtered, sorted by (rank, index), unwrapped. */
  const before = (nodes: NodeStatus[], filter: string) => {
    const f = filter.trim().toLowerCase();
    return nodes
      .map((n, i) => ({ n, i }))
      .filter(({ n }) => !f || n.name.toLowerCase().includes(f) || n.url.toLowerCase().includes(f) || nodeReason(n).toLowerCase().includes(f))
      .sort((a, b) => rank(a.n) - rank(b.n) || a.i - b.i)
      .map(({ n }) => n);
  };
  const rnd = mulberry32(7);
  for (let k = 0; k < 300; k++) {
    const nodes = Array.from({ length: Math.floor(rnd() * 40) }, (_, i) => {
      const r = rnd();
      return node(i, r < 0.1 ? { up: false } : r < 0.2 ? { breaker: 'half-open' } : r < 0.3 ? { up: null } : r < 0.4 ? { degradedReason: 'pool warm' } : {});
    });
    for (const filter of ['', 'web-1', ' POOL ', 'nothing-matches', 'WEB-3.DHASH']) expect(nodeList(nodes, filter)).toEqual(before(nodes, filter));
  }
});
