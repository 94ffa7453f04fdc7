/**
 * Rewind while live, in a real tmux: during `demo --scenario regression`,
 * after the breach, `[` steps back to an earlier poll — the panels show the
 * values of then under the VIEWING banner, the live status stays on top — a
 * promote is refused there, and Esc is live again.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { gateRows, panePerTest } from '../helpers/tmux.js';

const panes = panePerTest('fd-rewind-');
const lines = (screen: string) => screen.split('\n');
const errorRateRow = (screen: string) => gateRows(screen, 'error-rate')[0] ?? '';

describe('rewind while live', () => {
  it('[ shows an earlier poll under the VIEWING banner, a promote is refused there, Esc is live', async () => {
    const pane = panes.start(`${BIN} demo --scenario regression --speed 60 --dir ${join(panes.dir, 'work')}`, { cols: 100, rows: 30 });
    // Live: canary-50 breaches its error-rate gate (the guard counts down, or already rolls back).
    const breach = await pane.waitFor((s) => /2\/3 canary-50/.test(lines(s)[0]!) && /(pending|failing)\s+error-rate\s+[\d.]+%/.test(s), { what: 'the breach at canary-50', timeoutMs: 90_000 });
    expect(errorRateRow(breach)).toMatch(/(pending|failing)\s+error-rate/);
    // Back to the first kept poll, in one burst of keys: canary-10, before the bad release took traffic.
    pane.type('['.repeat(150));
    let past = await pane.waitFor((s) => /no earlier poll kept/.test(s), { what: 'the oldest kept poll' });
    const viewing = (s: string) => /^ VIEWING (\d\d:\d\d:\d\d) \(\S+ ago\) — live: \S/.exec(lines(s)[1]!)?.[1];
    expect(viewing(past)).toBeDefined();
    // The first polls may find the demo's Prometheus not answering yet: ] to the first poll that had a value.
    for (let i = 0; i < 20 && !/ok\s+error-rate\s/.test(errorRateRow(past)); i++) {
      const at = viewing(past);
      pane.type(']');
      past = await pane.waitFor((s) => viewing(s) !== at, { what: 'the next poll' });
    }
    expect(errorRateRow(past)).toMatch(/ok\s+error-rate\s+0\.\d+%/);
    // The status line is live: the canary-50 stage, not the canary-10 the panels show.
    expect(lines(past)[0]).toMatch(/2\/3 canary-50/);
    pane.type('p');
    const refused = await pane.waitFor(/p promote refused: this screen shows \d\d:\d\d:\d\d, the past; Esc returns to live/, { what: 'the promote refused' });
    expect(refused).not.toMatch(/PROMOTE canary-50|Cancel/);
    expect(errorRateRow(refused)).toEqual(errorRateRow(past));
    pane.send('Escape');
    const live = await pane.waitFor((s) => !/VIEWING/.test(s) && /(pending|failing|ok)\s+error-rate/.test(s) && /canary-50/.test(lines(s)[0]!), { what: 'live again' });
    expect(live).not.toMatch(/VIEWING/);
  }, 150_000);
});
