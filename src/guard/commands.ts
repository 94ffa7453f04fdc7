/**
 * Running an operator's command on the guard's session, whoever carried it
 * here: the guard's own socket (a cockpit or the CLI on this bastion) or a
 * row in PostgreSQL that a standby on another bastion wrote for the leader
 * (bastions.ts). The answer is what the client shows.
 */
import type { AuditOperator } from '../audit/log.js';
import type { Session } from '../session/session.js';

export type RoutedCommand = 'promote' | 'rollback' | 'signoff';

export const ROUTED: readonly string[] = ['promote', 'rollback', 'signoff'];

export interface CommandResult {
  ok: boolean;
  refused?: string;
  summary?: string;
  steps?: Array<{ name: string; status: string; exitCode: number | null; note?: string }>;
}

/** promote, rollback or sign-off on this session as `op` (the verified account that asked). */
export async function runCommand(session: Session, cmd: RoutedCommand, body: Record<string, unknown>, op: AuditOperator): Promise<CommandResult> {
  const reason = typeof body.reason === 'string' ? body.reason : undefined;
  // The stage a cockpit's dialog confirmed: the session refuses the action if the rollout has moved on since.
  const stage = typeof body.stageId === 'string' ? { stageId: body.stageId } : {};
  if (cmd === 'signoff') {
    try {
      session.signoff(String(body.gateId ?? ''), String(body.note ?? ''), { as: op, ...stage });
      return { ok: true };
    } catch (err) {
      return { ok: false, refused: (err as Error).message };
    }
  }
  const out =
    cmd === 'promote'
      ? await session.promote({
          ...stage,
          ...(reason !== undefined ? { reason } : {}),
          ...(isOverride(body.override) ? { override: body.override } : {}),
          as: op,
        })
      : await session.rollback({
          ...stage,
          ...(body.expectNotRolledBack === true ? { expectNotRolledBack: true } : {}),
          reason: reason ?? `manual rollback by ${op.user}`,
          ...(Array.isArray(body.includeOptional) || body.includeOptional === 'all' ? { includeOptional: body.includeOptional as string[] | 'all' } : {}),
          as: op,
        });
  if (!out.ok && out.refused) return { ok: false, refused: out.refused };
  const r = out.result;
  if (!r) return { ok: false, refused: 'interrupted before it started' };
  return {
    ok: out.ok,
    summary: r.summary,
    steps: r.steps.map((s) => ({ name: s.name, status: s.status, exitCode: s.exitCode, ...(s.note !== undefined ? { note: s.note } : {}) })),
  };
}

/** A client's override as sent: a reason, the acknowledgement and, from a dialog, the blockers it showed (gate ids). Anything else is no override. */
function isOverride(v: unknown): v is { reason: string; acknowledged: boolean; blockers?: string[] } {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as { reason?: unknown; acknowledged?: unknown; blockers?: unknown };
  const blockersOk = o.blockers === undefined || (Array.isArray(o.blockers) && o.blockers.every((b) => typeof b === 'string'));
  return typeof o.reason === 'string' && typeof o.acknowledged === 'boolean' && blockersOk;
}
