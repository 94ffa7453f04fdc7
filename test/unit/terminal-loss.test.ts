/**
 * Losing the terminal: the first SIGHUP starts a clean end; the ones after it (the dying shell forwards
 * a second) must not end the process while it stops its action and audits it (SIGHUP's default action).
 */
import { afterEach, expect, it } from 'vitest';
import { watchTerminalLoss } from '../../src/cli/terminal-loss.js';

const before = process.listenerCount('SIGHUP');
afterEach(() => {
  for (const l of process.listeners('SIGHUP').slice(before)) process.off('SIGHUP', l);
});

it('once lost, SIGHUP stays handled after watching stops, so a second one cannot end the process before its audit', () => {
  const losses: string[] = [];
  const stop = watchTerminalLoss((why) => losses.push(why));
  process.emit('SIGHUP', 'SIGHUP');
  stop();
  expect(process.listenerCount('SIGHUP')).toBe(before + 1);
  process.emit('SIGHUP', 'SIGHUP');
  expect(losses).toEqual(['SIGHUP']);
});

it('not lost: stopping removes its SIGHUP handler', () => {
  const stop = watchTerminalLoss(() => undefined);
  expect(process.listenerCount('SIGHUP')).toBe(before + 1);
  stop();
  expect(process.listenerCount('SIGHUP')).toBe(before);
});
