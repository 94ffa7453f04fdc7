/**
 * Slack incoming-webhook message: Block Kit `blocks` plus a top-level `text`
 * that Slack shows in notifications and in clients without blocks.
 */
import { facts, gateLines, SEVERITY_LABEL, truncate, where } from './format.js';
import type { Notification, Severity } from './types.js';

const EMOJI: Record<Severity, string> = { info: ':information_source:', warning: ':warning:', critical: ':rotating_light:' };

/** Slack's mrkdwn needs only &, < and > escaped. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export interface SlackPayload {
  text: string;
  blocks: Array<Record<string, unknown>>;
}

export function slackPayload(n: Notification): SlackPayload {
  const blocks: Array<Record<string, unknown>> = [
    { type: 'header', text: { type: 'plain_text', text: truncate(`${EMOJI[n.severity]} ${n.title}`, 150), emoji: true } },
  ];
  if (n.text) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(escapeMrkdwn(n.text), 3000) } });
  const gates = gateLines(n);
  if (gates.length > 0) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(gates.map((g) => `• ${escapeMrkdwn(g)}`).join('\n'), 3000) } });
  }
  // Slack takes at most 10 fields per section: more facts go into a second one.
  const fields = facts(n).map((f) => ({ type: 'mrkdwn', text: truncate(`*${f.name}*\n${escapeMrkdwn(f.value)}`, 2000) }));
  for (let i = 0; i < fields.length; i += 10) blocks.push({ type: 'section', fields: fields.slice(i, i + 10) });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(escapeMrkdwn(`Flightdeck · ${where(n)} · ${n.event}`), 3000) }] });
  return {
    text: truncate(`[${SEVERITY_LABEL[n.severity]}] ${n.title} — ${where(n)}`, 3000),
    blocks,
  };
}
