/** The gates panel's list: ordered by severity, filtered by id or subject; the countdown words. */
import { expect, it } from 'vitest';
import { failsInText, gateList } from './GatesPanel.js';
import { gate, gatesInEveryState } from '../test/helpers/state-fixture.js';

it('orders gates by severity, filters by id or subject', () => {
  const gates = gatesInEveryState();
  expect(gateList(gates, '').map((g) => g.state)).toEqual(['failing', 'error', 'pending', 'no data', 'warn', 'ok', 'off']);
  expect(gateList(gates, 'SATURATION').map((g) => g.id)).toEqual(['pool-saturation']);
  expect(failsInText(gates[1]!, 48_000)).toBe('fails in 5m or 2 probes');
  expect(failsInText(gate('x', 'ok'), 0)).toBe('');
});
