import { expect, it } from 'vitest';
import { IDLE_TICK_MS, tickFor } from './LiveCockpit.js';
import { makeState } from '../test/helpers/state-fixture.js';

it('repaints clocks every second while something moves, rarely when idle', () => {
  const s = makeState();
  const idle = { ...s, polling: { ...s.polling, hot: false, inFlight: false, nextPollAt: s.now + 60_000 }, gates: s.gates.map((g) => ({ ...g, state: 'ok' as const })), nodes: s.nodes.map((n) => ({ ...n, retryAt: undefined })) };
  expect(tickFor(idle, {}, idle.now, 1000)).toBe(IDLE_TICK_MS);
  expect(tickFor({ ...idle, polling: { ...idle.polling, hot: true } }, {}, idle.now, 1000)).toBe(1000);
  // The next poll's countdown moves in 10 s steps: no reason to repaint every second.
  expect(tickFor({ ...idle, polling: { ...idle.polling, nextPollAt: idle.now + 10_000 } }, {}, idle.now, 1000)).toBe(IDLE_TICK_MS);
  // A node's "retry 19s" counts down by the second.
  const down = { ...idle, nodes: idle.nodes.map((n, i) => (i === 0 ? { ...n, retryAt: idle.now + 19_000 } : n)) };
  expect(tickFor(down, {}, idle.now, 1000)).toBe(1000);
  expect(tickFor(down, {}, idle.now + 20_000, 1000)).toBe(IDLE_TICK_MS);
  expect(tickFor(idle, { action: { kind: 'rollback', operator: 'alice', startedAt: idle.now } }, idle.now, 1000)).toBe(1000);
  expect(tickFor({ ...idle, gates: [{ ...idle.gates[0]!, state: 'pending' }] }, {}, idle.now, 1000)).toBe(1000);
});
