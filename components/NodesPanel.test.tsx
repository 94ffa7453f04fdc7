/** The nodes panel's list: the fleet summarised, trouble first. */
import { expect, it } from 'vitest';
import { fleetSummary, nodeList } from './NodesPanel.js';
import { fleet } from '../test/helpers/state-fixture.js';

it('summarises a fleet and puts trouble first', () => {
  const nodes = fleet(412, { down: 2, open: 1, degraded: 1 });
  expect(fleetSummary(nodes).map((s) => s.text).join('')).toBe('412 nodes: 409 up, 3 down, 1 open breaker, 1 degraded');
  expect(nodeList(nodes, '').slice(0, 3).map((n) => n.up)).toEqual([false, false, false]);
});
