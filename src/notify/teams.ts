/**
 * Microsoft Teams: an Adaptive Card inside the `attachments` envelope that
 * Teams Workflows ("Post to a channel when a webhook request is received")
 * and Power Automate webhooks accept.
 */
import { facts, gateLines, SEVERITY_LABEL, truncate, where } from './format.js';
import type { Notification, Severity } from './types.js';

const COLOR: Record<Severity, 'Accent' | 'Warning' | 'Attention'> = { info: 'Accent', warning: 'Warning', critical: 'Attention' };

export interface TeamsPayload {
  type: 'message';
  attachments: Array<{
    contentType: 'application/vnd.microsoft.card.adaptive';
    contentUrl: null;
    content: Record<string, unknown>;
  }>;
}

export function teamsPayload(n: Notification): TeamsPayload {
  const body: Array<Record<string, unknown>> = [
    {
      type: 'TextBlock',
      text: truncate(`[${SEVERITY_LABEL[n.severity]}] ${n.title}`, 500),
      weight: 'Bolder',
      size: 'Medium',
      color: COLOR[n.severity],
      wrap: true,
      style: 'heading',
    },
    { type: 'TextBlock', text: truncate(where(n), 500), isSubtle: true, spacing: 'None', wrap: true },
  ];
  if (n.text) body.push({ type: 'TextBlock', text: truncate(n.text, 4000), wrap: true });
  const gates = gateLines(n);
  if (gates.length > 0) body.push({ type: 'TextBlock', text: truncate(gates.map((g) => `- ${g}`).join('\n'), 4000), wrap: true });
  body.push({ type: 'FactSet', facts: facts(n).map((f) => ({ title: f.name, value: truncate(f.value, 1000) })) });
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          msteams: { width: 'Full' },
          body,
        },
      },
    ],
  };
}
