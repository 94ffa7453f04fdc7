/** The gate detail's state changes. */
import { expect, it } from 'vitest';
import { stateChanges } from './GateDetail.js';
import { gate } from '../test/helpers/state-fixture.js';

it('derives state changes from history when no event says', () => {
  const g = gate('g', 'failing');
  const changes = stateChanges(g, []);
  expect(changes[0]).toMatchObject({ from: 'ok', to: 'failing', display: '0.071' });
});
