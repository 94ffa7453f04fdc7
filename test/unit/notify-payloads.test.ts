import { describe, expect, it } from 'vitest';
import { discordPayload, DISCORD_COLOR } from '../../src/notify/discord.js';
import { emailMessage } from '../../src/notify/email.js';
import { plainText } from '../../src/notify/format.js';
import { slackPayload } from '../../src/notify/slack.js';
import { teamsPayload } from '../../src/notify/teams.js';
import type { Notification } from '../../src/notify/types.js';
import { webhookPayload } from '../../src/notify/webhook.js';

const n: Notification = {
  id: 'n1',
  event: 'gate.failing',
  severity: 'critical',
  at: Date.UTC(2026, 0, 1, 12, 0, 0),
  service: 'dhash',
  environment: 'production',
  stage: 'canary-10',
  title: 'queue <low-confidence> & growing',
  text: 'queue length 1204 > 1000',
  gates: [{ id: 'low-confidence-queue', state: 'failing', display: '1204', threshold: '> 1000' }],
};

describe('slack', () => {
  it('escapes mrkdwn in sections but not the plain_text header', () => {
    const p = slackPayload(n);
    expect(p.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text', text: ':rotating_light: queue <low-confidence> & growing' } });
    expect(p.blocks[2]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '• low-confidence-queue: failing (1204, threshold &gt; 1000)' },
    });
    expect(p.text).toBe('[CRITICAL] queue <low-confidence> & growing — dhash/production · canary-10');
  });

  it('stays inside Block Kit limits', () => {
    const big = slackPayload({ ...n, title: 'T'.repeat(400), text: 'x'.repeat(10_000), reason: 'r'.repeat(5_000), operator: 'o' });
    const header = big.blocks[0] as { text: { text: string } };
    expect(header.text.text.length).toBeLessThanOrEqual(150);
    const section = big.blocks[1] as { text: { text: string } };
    expect(section.text.text.length).toBeLessThanOrEqual(3000);
    const fields = (big.blocks.find((b) => 'fields' in b) as { fields: Array<{ text: string }> }).fields;
    expect(fields.length).toBeLessThanOrEqual(10);
    for (const f of fields) expect(f.text.length).toBeLessThanOrEqual(2000);
  });
});

describe('teams', () => {
  it('wraps an Adaptive Card in the message/attachments envelope', () => {
    const p = teamsPayload(n);
    expect(p.type).toBe('message');
    expect(p.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    const card = p.attachments[0]!.content as { type: string; version: string; body: Array<Record<string, unknown>> };
    expect(card.type).toBe('AdaptiveCard');
    expect(card.body[0]).toMatchObject({ type: 'TextBlock', color: 'Attention', text: '[CRITICAL] queue <low-confidence> & growing' });
    expect(card.body.some((b) => b.type === 'FactSet')).toBe(true);
    expect(JSON.stringify(card)).toContain('low-confidence-queue: failing (1204, threshold > 1000)');
  });
});

describe('discord', () => {
  it('colours by severity and never pings', () => {
    expect(discordPayload({ ...n, severity: 'info' }).embeds[0]!.color).toBe(DISCORD_COLOR.info);
    expect(discordPayload({ ...n, severity: 'warning' }).embeds[0]!.color).toBe(0xf1c40f);
    const p = discordPayload({ ...n, text: '@everyone look' });
    expect(p.embeds[0]!.color).toBe(0xe74c3c);
    expect(p.allowed_mentions).toEqual({ parse: [] });
    expect(p.embeds[0]!.timestamp).toBe('2026-01-01T12:00:00.000Z');
  });

  it('keeps a huge notification under 6000 characters per embed', () => {
    const p = discordPayload({ ...n, title: 'T'.repeat(1000), text: 'x'.repeat(20_000), reason: 'r'.repeat(5_000), operator: 'o'.repeat(3000), override: { manual_override: true, override_acknowledged: true, override_reason: 'y'.repeat(5000) } });
    const e = p.embeds[0]!;
    const total = e.title.length + e.description.length + e.footer.text.length + e.fields.reduce((s, f) => s + f.name.length + f.value.length, 0);
    expect(total).toBeLessThanOrEqual(6000);
    expect(e.fields.length).toBeLessThanOrEqual(25);
  });
});

describe('webhook and email', () => {
  it('webhook is the notification with a schema tag', () => {
    expect(webhookPayload(n)).toEqual({ schema: 'flightdeck.notification/v1', ...n });
  });

  it('email subject is one line and says severity, where and what', () => {
    const m = emailMessage({ ...n, title: 'line one\r\nBcc: evil@example.com' });
    expect(m.subject).toBe('[CRITICAL] dhash/production canary-10: line one Bcc: evil@example.com');
    expect(m.text).toContain('queue length 1204 > 1000');
    expect(m.text).toContain('notification n1');
  });

  it('plain text lists gates, who and why', () => {
    const t = plainText({ ...n, operator: 'alice', reason: 'known issue', override: { manual_override: true, override_acknowledged: true, override_reason: 'known issue' }, details: { runId: 7 } });
    expect(t.split('\n')).toEqual(
      expect.arrayContaining([
        '[CRITICAL] queue <low-confidence> & growing',
        '  - low-confidence-queue: failing (1204, threshold > 1000)',
        'Operator: alice',
        'Reason: known issue',
        'Override: manual_override, acknowledged: known issue',
        'Details: {"runId":7}',
      ]),
    );
  });
});
