/** Who is at the keyboard: the local user, the machine, and the SSH client's address. */
import { hostname, userInfo } from 'node:os';

export interface AuditOperator {
  user: string;
  host: string;
  /** The SSH client's address (from SSH_CLIENT or SSH_CONNECTION), never ports or the server side. */
  sshClient?: string;
}

/**
 * The operator of this process. `SUDO_USER` wins over the effective user, so
 * `sudo flightdeck rollback` is attributed to the person, not to root.
 */
export function currentOperator(env: Record<string, string | undefined> = process.env): AuditOperator {
  const user = nonEmpty(env.SUDO_USER) ?? safeUsername() ?? nonEmpty(env.USER) ?? nonEmpty(env.LOGNAME) ?? 'unknown';
  const op: AuditOperator = { user, host: safeHostname() };
  const ssh = sshClientAddress(env);
  if (ssh) op.sshClient = ssh;
  return op;
}

/** "203.0.113.7 52144 22" -> "203.0.113.7"; "203.0.113.7 52144 10.0.0.5 22" -> "203.0.113.7". */
export function sshClientAddress(env: Record<string, string | undefined>): string | undefined {
  for (const name of ['SSH_CLIENT', 'SSH_CONNECTION'] as const) {
    const first = env[name]?.trim().split(/\s+/)[0];
    if (first && /^[0-9a-f:.]+$/i.test(first)) return first;
  }
  return undefined;
}

/** "alice@bastion" */
export function formatOperator(op: AuditOperator): string {
  return `${op.user}@${op.host}`;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s && s.trim() ? s.trim() : undefined;
}

function safeUsername(): string | undefined {
  try {
    return nonEmpty(userInfo().username);
  } catch {
    return undefined;
  }
}

function safeHostname(): string {
  try {
    return hostname() || 'unknown';
  } catch {
    return 'unknown';
  }
}
