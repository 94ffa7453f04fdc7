/** Activity lines: every event type in one line, extra lines merged by time. */
import { expect, it } from 'vitest';
import { activityEntries, formatEvent } from './activity.js';
import { makeTheme } from './theme.js';
import { events } from '../test/helpers/state-fixture.js';

it('formats every event type in one line and merges extra lines by time', () => {
  const glyphs = makeTheme({ noColor: true, ascii: true }).glyphs;
  const evs = events(26);
  const lines = evs.map((e) => formatEvent(e, glyphs)).filter(Boolean);
  expect(lines.length).toBe(26);
  expect(formatEvent({ at: 1, type: 'poll.started', reason: 'schedule' }, glyphs)).toBeNull();
  expect(formatEvent({ at: 1, type: 'poll.done', durationMs: 5, ok: true, gates: 1, nodes: 1 }, glyphs)).toBeNull();
  const acting = [
    formatEvent({ at: 1, type: 'rollback.requested', stageId: 'canary-10', gateId: 'error-rate', reason: 'failing: 9% > 5%', auto: true }, glyphs),
    formatEvent({ at: 1, type: 'action.started', action: 'rollback', stageId: 'canary-10', operator: 'alice', auto: true, dryRun: false, reason: 'gate failing' }, glyphs),
    formatEvent({ at: 1, type: 'action.output', action: 'rollback', step: 'tag', stream: 'stderr', text: 'warn: \u001b[31mslow' }, glyphs),
    formatEvent({ at: 1, type: 'action.finished', action: 'rollback', stageId: 'canary-10', ok: false, durationMs: 61_000, steps: [], summary: 'step tag exit 1' }, glyphs),
    formatEvent({ at: 1, type: 'notify.delivery', outcome: 'retry', channel: 'slack', notificationId: 'n1', attempt: 2, error: 'HTTP 500' }, glyphs),
    formatEvent({ at: 1, type: 'override', stageId: 'canary-10', operator: 'bob', blockers: ['health'], fields: { manual_override: true, override_acknowledged: true, override_reason: 'known flaky probe' } }, glyphs),
  ].map((x) => x?.text);
  expect(acting).toEqual([
    // The engine's request is not the start: a guard may withhold it (seen in a stranger's trial: "started" before "withheld").
    'ROLLBACK due for canary-10: error-rate failing: 9% > 5%',
    'ROLLBACK of canary-10 started by alice (automatic): gate failing',
    'rollback tag: warn: slow',
    'rollback of canary-10 FAILED after 1m1s: step tag exit 1',
    'notify slack retry (attempt 2): HTTP 500',
    'OVERRIDE of canary-10 by bob past health: known flaky probe',
  ]);
  const merged = activityEntries(evs.slice(0, 2), [{ at: evs[0]!.at + 1, text: 'sent to slack', source: 'notify' }], glyphs);
  expect(merged.map((m) => m.text)).toEqual(['poll requested', 'notify: sent to slack', 'gate extraction-failure-rate pending -> failing: 0.071 (0.071 > 0.05 for 10m of 10m) ROLLBACK']);
});

it("a session's note (an event) reads and is coloured as the same line did as an extra line", () => {
  const glyphs = makeTheme({ noColor: true, ascii: true }).glyphs;
  const cases = [
    { topic: 'audit', level: 'error', text: 'audit write failed: EACCES' },
    { topic: 'info', level: 'warn', text: 'adopted a running rollback by bob@b1' },
    { topic: 'info', level: 'info', text: 'resumed at stage canary-10, saved by alice' },
    { topic: 'action', level: 'info', text: 'step 1 ok' },
    { topic: 'notify', level: 'info', text: 'sent to slack\u001b[31m' },
  ] as const;
  for (const c of cases) {
    const asEvent = formatEvent({ at: 5, type: 'session.note', ...c }, glyphs);
    const asLine = activityEntries([], [{ at: 5, text: c.text, source: c.topic, level: c.level }], glyphs)[0];
    expect(asEvent).toEqual(asLine);
  }
  expect(formatEvent({ at: 5, type: 'session.note', topic: 'audit', level: 'error', text: 'audit write failed: EACCES' }, glyphs)).toEqual({ at: 5, text: 'audit: audit write failed: EACCES', tok: 'error' });
  expect(formatEvent({ at: 5, type: 'session.note', topic: 'info', level: 'info', text: 'a cockpit attached (1 now)' }, glyphs)).toEqual({ at: 5, text: 'a cockpit attached (1 now)', tok: 'muted' });
});
