import { expect, it } from 'vitest';
import { IDLE_TICK_MS, tickFor } from './LiveCockpit.js';
import { makeState } from '../test/helpers/state-fixture.js';

it('repaints clocks every second while something moves, rarely when idle', () => {
  const s = makeState();
  const idle = { ...s, polling: { ...s.polling, hot: false, inFlight: false, nextPollAt: s.now + 60_000 }, gates: s.gates.map((g) => ({ ...g, state: 'ok' as const })) };
  expect(tickFor(idle, {}, idle.now, 1000)).toBe(IDLE_TICK_MS);
  expect(tickFor({ ...idle, polling: { ...idle.polling, hot: true } }, {}, idle.now, 1000)).toBe(1000);
  expect(tickFor({ ...idle, polling: { ...idle.polling, nextPollAt: idle.now + 10_000 } }, {}, idle.now, 1000)).toBe(1000);
  expect(tickFor(idle, { action: { kind: 'rollback', operator: 'alice', startedAt: idle.now } }, idle.now, 1000)).toBe(1000);
  expect(tickFor({ ...idle, gates: [{ ...idle.gates[0]!, state: 'pending' }] }, {}, idle.now, 1000)).toBe(1000);
});
