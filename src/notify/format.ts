/** Text pieces every channel's message is built from. */
import type { Notification, Severity } from './types.js';

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export const SEVERITY_LABEL: Record<Severity, string> = { info: 'INFO', warning: 'WARNING', critical: 'CRITICAL' };

/** Cuts a text to `max` characters, marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** "dhash/production · canary-10" */
export function where(n: Notification): string {
  return `${n.service}/${n.environment}${n.stage ? ` · ${n.stage}` : ''}`;
}

/** One line per gate: "extraction-failure-rate: failing (0.071, threshold > 0.05)". */
export function gateLines(n: Notification): string[] {
  return (n.gates ?? []).map((g) => `${g.id}: ${g.state} (${g.display}${g.threshold ? `, threshold ${g.threshold}` : ''})`);
}

/** Label/value pairs shown as facts or fields: who, why, override, when. */
export function facts(n: Notification): Array<{ name: string; value: string }> {
  const out = [
    { name: 'Service', value: n.service },
    { name: 'Environment', value: n.environment },
  ];
  if (n.stage) out.push({ name: 'Stage', value: n.stage });
  out.push({ name: 'Severity', value: n.severity });
  out.push({ name: 'Event', value: n.event });
  if (n.operator) out.push({ name: 'Operator', value: n.operator });
  if (n.sshClient) out.push({ name: 'SSH client', value: n.sshClient });
  if (n.reason) out.push({ name: 'Reason', value: n.reason });
  if (n.dryRun) out.push({ name: 'Dry run', value: 'yes: nothing was changed' });
  if (n.resolves) out.push({ name: 'Resolves', value: `${n.resolves.title} (${new Date(n.resolves.at).toISOString()})` });
  if (n.override) {
    out.push({ name: 'Override', value: `manual_override, acknowledged: ${n.override.override_reason}` });
  }
  out.push({ name: 'At', value: new Date(n.at).toISOString() });
  return out;
}

/** The plain-text form used for fallbacks, email bodies and chat `text` fields. */
export function plainText(n: Notification): string {
  const lines = [`[${SEVERITY_LABEL[n.severity]}] ${n.title}`, '', n.text];
  const gates = gateLines(n);
  if (gates.length > 0) lines.push('', 'Gates:', ...gates.map((g) => `  - ${g}`));
  lines.push('', ...facts(n).map((f) => `${f.name}: ${f.value}`));
  if (n.details && Object.keys(n.details).length > 0) lines.push('', `Details: ${safeJson(n.details)}`);
  return lines.join('\n');
}

export function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
