import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { groupKey, RepeatGrouper } from '../../src/notify/group.js';
import type { Notification } from '../../src/notify/types.js';

const base: Notification = {
  id: 'x',
  event: 'gate.failing',
  severity: 'warning',
  at: 0,
  service: 'svc',
  environment: 'prod',
  stage: 'canary',
  title: 'gate failing',
  text: 'value high',
  gates: [{ id: 'g1', state: 'failing', display: '1', threshold: '> 0' }],
};

function setup(windowMs = 60_000) {
  const clock = new ManualClock();
  const out: Notification[] = [];
  let id = 0;
  const g = new RepeatGrouper(clock, windowMs, (n) => out.push(n), () => `sum-${++id}`);
  return { clock, out, g };
}

describe('RepeatGrouper', () => {
  it('passes the first, counts repeats, summarises once when the window closes', async () => {
    const { clock, out, g } = setup();
    g.offer({ ...base, id: 'a', at: clock.now() });
    await clock.advance(10_000);
    g.offer({ ...base, id: 'b', at: clock.now() });
    g.offer({ ...base, id: 'c', at: clock.now(), severity: 'critical' });
    expect(out.map((n) => n.id)).toEqual(['a']);
    await clock.advance(49_999);
    expect(out).toHaveLength(1);
    await clock.advance(1);
    expect(out).toHaveLength(2);
    expect(out[1]).toMatchObject({
      id: 'sum-1',
      title: 'gate failing (repeated 2 times)',
      severity: 'critical',
      at: clock.now(),
      details: { repeated: 2, firstId: 'a', lastId: 'c' },
    });
    expect(out[1]!.text).toContain('Repeated 2 more times between');
    // A new window starts afresh.
    g.offer({ ...base, id: 'd' });
    expect(out.map((n) => n.id)).toEqual(['a', 'sum-1', 'd']);
  });

  it('sends no summary when nothing repeated', async () => {
    const { clock, out, g } = setup();
    g.offer(base);
    await clock.advance(120_000);
    expect(out).toHaveLength(1);
    expect(g.open).toBe(0);
  });

  it('keeps different gates, stages and events apart, and never groups overrides or tests', () => {
    const { out, g } = setup();
    g.offer({ ...base, id: '1' });
    g.offer({ ...base, id: '2', gates: [{ id: 'g2', state: 'failing', display: '', threshold: '' }] });
    g.offer({ ...base, id: '3', stage: 'full' });
    g.offer({ ...base, id: '4', event: 'rollback.auto' });
    g.offer({ ...base, id: '5', event: 'override' });
    g.offer({ ...base, id: '6', event: 'override' });
    g.offer({ ...base, id: '7', event: 'test' });
    g.offer({ ...base, id: '8', event: 'test' });
    expect(out.map((n) => n.id)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
  });

  it('closeAll sends due summaries now and leaves no timers', () => {
    const { clock, out, g } = setup();
    g.offer(base);
    g.offer(base);
    g.closeAll();
    expect(out.map((n) => n.title)).toEqual(['gate failing', 'gate failing (repeated 1 time)']);
    expect(clock.pending).toBe(0);
  });

  it('a zero window disables grouping', () => {
    const { out, g } = setup(0);
    g.offer(base);
    g.offer(base);
    expect(out).toHaveLength(2);
  });
});

describe('groupKey', () => {
  it('uses gates, else details.subject, else the title', () => {
    const noGates = { ...base, gates: undefined };
    expect(groupKey(base)).toBe(groupKey({ ...base, title: 'other', text: 'other' }));
    expect(groupKey(noGates)).not.toBe(groupKey({ ...noGates, title: 'other' }));
    expect(groupKey({ ...noGates, details: { subject: 'node web-1' } })).toBe(groupKey({ ...noGates, title: 'x', details: { subject: 'node web-1' } }));
  });
});
