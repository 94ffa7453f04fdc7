/** Discord webhook: one embed, coloured by severity, kept under Discord's limits (6000 characters per embed). */
import { facts, gateLines, SEVERITY_LABEL, truncate, where } from './format.js';
import type { Notification, Severity } from './types.js';

export const DISCORD_COLOR: Record<Severity, number> = { info: 0x3498db, warning: 0xf1c40f, critical: 0xe74c3c };

export interface DiscordPayload {
  content: string;
  embeds: Array<{
    title: string;
    description: string;
    color: number;
    timestamp: string;
    fields: Array<{ name: string; value: string; inline: boolean }>;
    footer: { text: string };
  }>;
  allowed_mentions: { parse: never[] };
}

export function discordPayload(n: Notification): DiscordPayload {
  const gates = gateLines(n);
  const description = [n.text, gates.length > 0 ? gates.map((g) => `• ${g}`).join('\n') : ''].filter(Boolean).join('\n\n');
  return {
    content: truncate(`[${SEVERITY_LABEL[n.severity]}] ${n.title}`, 2000),
    embeds: [
      {
        title: truncate(n.title, 256),
        description: truncate(description || n.title, 2500),
        color: DISCORD_COLOR[n.severity],
        timestamp: new Date(n.at).toISOString(),
        fields: facts(n)
          .filter((f) => f.name !== 'At')
          .slice(0, 25)
          .map((f) => ({ name: truncate(f.name, 256), value: truncate(f.value || '-', 1024), inline: f.value.length <= 40 })),
        footer: { text: truncate(`Flightdeck · ${where(n)}`, 200) },
      },
    ],
    // A notification never pings @everyone or a role, whatever its text says.
    allowed_mentions: { parse: [] },
  };
}
