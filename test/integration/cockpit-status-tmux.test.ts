/**
 * The cockpit at 3 a.m., in a real tmux: the status line never hides what
 * the guard is doing (frozen, small terminals), the countdown to an
 * auto-rollback is whole at 80x24 and 60x16, the state words stay honest
 * after a rollback and at the final stage, and keys that arrive together
 * (`send-keys -l`) are each a key.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { gateRows, panePerTest } from '../helpers/tmux.js';

const panes = panePerTest('fd-status-');
const lines = (screen: string) => screen.split('\n');
const demo = (args: string, work: string) => `${BIN} demo ${args} --dir ${join(panes.dir, work)}`;

describe('status line', () => {
  it('a frozen screen shows the auto-rollback as it happens, and what changed since the freeze', async () => {
    const pane = panes.start(demo('--scenario regression --speed 60', 'frozen'), { cols: 100, rows: 30 });
    await pane.waitFor(/1\/3 canary-10/, { what: 'the cockpit at canary-10', timeoutMs: 20_000 });
    pane.type('Z');
    const frozen = await pane.waitFor((s) => / FROZEN \d\d:\d\d:\d\d /.test(lines(s)[0]!), { what: 'the FROZEN badge' });
    // The panels stay as they were (the canary-10 gates), the status line goes on.
    const frozenGates = gateRows(frozen, 'error-rate');
    const during = await pane.waitFor((s) => /canary-50 (ROLLING BACK|ROLLED BACK)/.test(lines(s)[0]!), { what: 'the rollback on the frozen screen', timeoutMs: 60_000 });
    expect(lines(during)[0]).toMatch(/ FROZEN /);
    expect(lines(during)[1]).toMatch(/since frozen: \d+ events, newest critical \d\d:\d\d:\d\d /);
    expect(gateRows(during, 'error-rate')).toEqual(frozenGates);
    pane.type('Z');
    const live = await pane.waitFor((s) => !/FROZEN/.test(s) && /ROLLED BACK/.test(lines(s)[0]!), { what: 'live again, rolled back', timeoutMs: 30_000 });
    expect(live).not.toMatch(/since frozen/);
  }, 120_000);

  it('the countdown to an auto-rollback and its reason are whole at 80x24 and 60x16; then the words stay honest', async () => {
    const pane = panes.start(demo('--scenario regression --speed 30', 'countdown'), { cols: 80, rows: 24 });
    const at80 = await pane.waitFor((s) => /AUTO-ROLLBACK in \S+: error-rate [\d.]+% > 2%$/.test(lines(s)[0]!.trimEnd()), { what: 'the countdown at 80x24', timeoutMs: 90_000 });
    const head = lines(at80)[0]!.trimEnd();
    expect(head.length).toBeLessThanOrEqual(80);
    // Whole: nothing cut (no ellipsis); the least needed parts (service, window…) gave way instead.
    expect(head).not.toMatch(/…/);
    expect(head).toMatch(/(2\/3 canary-50 \S+|PROMOTE running \S+) │ AUTO-ROLLBACK in /);
    // The gate row says the same: the countdown and its consequence, uncut.
    expect(at80).toMatch(/pending\s+error-rate\s+[\d.]+%\s+> 2%\s.*fails in \S+ then ROLLBACK/);
    pane.resize(60, 16);
    const at60 = await pane.waitFor((s) => /AUTO-ROLLBACK (in \S+|now): error-rate [\d.]+% > 2%$/.test(lines(s)[0]!.trimEnd()) || /ROLLING BACK/.test(lines(s)[0]!), {
      what: 'the countdown (or the rollback it announced) at 60x16',
    });
    expect(lines(at60)[0]!.trimEnd().length).toBeLessThanOrEqual(60);
    pane.resize(100, 30);
    // After the rollback: the stage says rolled back, when and why, and nothing calls it promotable or running.
    const after = await pane.waitFor((s) => /ROLLED BACK/.test(lines(s)[0]!) && /ROLLED BACK canary-50 at \d\d:\d\d:\d\d/.test(s), { what: 'rolled back', timeoutMs: 60_000 });
    expect(after).toMatch(/ROLLED BACK canary-50 at \d\d:\d\d:\d\d \(\S+ ago\): auto\S* ?error-rate /);
    expect(after).not.toMatch(/PROMOTABLE/);
    expect(lines(after)[0]).not.toMatch(/running/);
    await new Promise((r) => setTimeout(r, 3000));
    const later = pane.capture();
    expect(later).not.toMatch(/PROMOTABLE|stage canary-50 promotable|poll requested by operator/);
    expect(lines(later)[0]).toMatch(/2\/3 canary-50 ROLLED BACK │ at \d\d:\d\d:\d\d/);
  }, 180_000);

  it('at the final stage the rollout is complete, not promotable', async () => {
    const pane = panes.start(demo('--scenario healthy --speed 120', 'final'), { cols: 100, rows: 30 });
    const done = await pane.waitFor((s) => /3\/3 full-100 ROLLOUT COMPLETE/.test(lines(s)[0]!), { what: 'the rollout complete', timeoutMs: 120_000 });
    expect(done).toMatch(/ROLLOUT COMPLETE full-100 is the final stage/);
    expect(done).not.toMatch(/PROMOTABLE|p to promote/);
  }, 150_000);
});

describe('keys that arrive together', () => {
  it('send-keys -l "jjj" moves three rows; "/p95" in one chunk filters', async () => {
    const pane = panes.start(demo('--scenario healthy --no-autopilot --speed 1', 'keys'), { cols: 100, rows: 30 });
    // Polls come every 30 s at speed 1: the rows keep their order between two.
    const first = await pane.waitFor((s) => /GATES 9/.test(s) && !/not evaluated yet/.test(s) && /p95-latency/.test(s), { what: 'the gates panel, evaluated', timeoutMs: 30_000 });
    const rowRe = /^(▶| ) \S (?:ok|pending|no data|warn|failing|error|off)\s+(\S+)\s/;
    const rows = lines(first).filter((l) => rowRe.test(l));
    const ids = rows.map((l) => rowRe.exec(l)![2]!);
    expect(rows[0]).toMatch(/^▶/);
    expect(ids.length).toBeGreaterThanOrEqual(4);
    pane.type('jjj');
    await pane.waitFor((s) => lines(s).some((l) => l.startsWith('▶') && rowRe.exec(l)?.[2] === ids[3]), { what: `the cursor three rows down, on ${ids[3]}` });
    pane.type('/p95');
    const filtered = await pane.waitFor((s) => /filter gates: \/p95_/.test(s) && /filter "p95" 1\/9/.test(s), { what: 'the filter with p95' });
    expect(gateRows(filtered, 'p95-latency')).toHaveLength(1);
    expect(gateRows(filtered, 'error-rate')).toHaveLength(0);
    // p was text, not promote: no dialog opened.
    expect(filtered).not.toMatch(/PROMOTE canary-10/);
  }, 60_000);
});
