/** Enter on the alerts panel shows the top alert whole: its summary is cut in the panel's row, never in the detail. */
import React from 'react';
import { cleanup, render } from 'ink-testing-library';
import { afterEach, expect, it } from 'vitest';
import { CockpitApp } from './CockpitApp.js';
import { KEYS, stripAnsi, waitForFrame } from './testing/render.js';
import { T0, makeState } from '../test/helpers/state-fixture.js';

afterEach(() => cleanup());

const LONG = 'error-rate failing (rollback): 15.2% > 2% for 2m9s on checkout-3 and checkout-5, the 5xx ratio doubled since the promote to canary-50 at 04:29:40';

it('Enter on ALERTS opens the top alert whole; Esc goes back', async () => {
  const state = makeState();
  state.alerts = [
    { source: 'flightdeck', name: 'gate error-rate', state: 'firing', severity: 'critical', since: T0 - 21_000, summary: LONG, labels: {} },
    { source: 'prometheus', name: 'HighErrorRate', state: 'firing', severity: 'critical', since: T0 - 157_000, summary: '5xx ratio above 5%', labels: {} },
  ];
  const r = render(<CockpitApp state={state} utc env={{}} onCommand={() => undefined} onQuit={() => undefined} />);
  const frame = () => stripAnsi(r.lastFrame() ?? '');
  await waitForFrame();
  // The panel's row cuts it.
  expect(frame()).not.toContain('at 04:29:40');
  for (const k of [KEYS.tab, KEYS.tab, KEYS.enter]) {
    r.stdin.write(k);
    await waitForFrame();
  }
  expect(frame()).toMatch(/── ALERT /);
  expect(frame()).not.toContain('── ALERTS');
  // Wrapped at the width (not at words): compared without the spaces the wrapping may have moved.
  const whole = frame().split('\n').filter((l) => l.startsWith('  ')).join('').replace(/\s/g, '');
  expect(whole).toContain(`firing critical gate error-rate (flightdeck): ${LONG}`.replace(/\s/g, ''));
  r.stdin.write(KEYS.escape);
  await new Promise((res) => setTimeout(res, 25));
  await waitForFrame();
  expect(frame()).toContain('── ALERTS');
});

it('an alert age moves in coarse steps: the panel draws the same text a second later (a steady screen stays quiet)', async () => {
  const { alertsClockTexts } = await import('./AlertsPanel.js');
  const alerts = [{ source: 'prometheus' as const, name: 'HighErrorRate', state: 'firing' as const, severity: 'critical', since: T0 - 47_000, summary: 's', labels: {} }];
  const at = (now: number) => alertsClockTexts({ alerts, now } as unknown as Parameters<typeof alertsClockTexts>[0]);
  expect(at(T0)).toBe('40s');
  expect(at(T0 + 1000)).toBe(at(T0));
  expect(at(T0 + 13_000)).toBe('1m');
});
