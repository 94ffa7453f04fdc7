/**
 * `flightdeck promote PLAN` and `flightdeck rollback PLAN`, for scripts and
 * CI: the gates are evaluated once, then the action runs through the same
 * session, lock and audit as in the cockpit.
 *   exit 0  the action ran and succeeded (or its dry run did)
 *   exit 1  the action ran and failed
 *   exit 2  could not evaluate (bad plan, Prometheus unreachable for a promote), or the saved
 *           rollout state is unusable (unreadable, unknown stage, another plan's): nothing runs
 *   exit 3  refused (not promotable without --override, lock held, no --yes)
 */
import type { LoadedPlan } from '../plan/load.js';
import { judge } from './check.js';
import { openSession } from './open-session.js';

export interface ActFlags {
  yes?: boolean;
  reason?: string;
  override?: boolean;
  dryRun?: boolean;
  stage?: string;
  include?: string[];
  json?: boolean;
}

export const ACT_EXIT = { ok: 0, failed: 1, cannotEvaluate: 2, refused: 3 } as const;

export async function runAct(kind: 'promote' | 'rollback', loaded: LoadedPlan, f: ActFlags, out: (line: string) => void): Promise<number> {
  if (!f.yes && !f.dryRun) {
    out(`flightdeck ${kind}: refusing to act without --yes (or --dry-run to see what would run)`);
    return ACT_EXIT.refused;
  }
  if (f.override && !f.reason) {
    out(`flightdeck ${kind}: --override needs --reason "why" (a guarded override is audited and notified)`);
    return ACT_EXIT.refused;
  }
  const opened = await openSession(loaded, { readonly: false, dryRun: f.dryRun ?? false, autoRollback: false, stageId: f.stage, warn: (t) => out(`warning: ${t}`) });
  const { session, runtime } = opened;
  try {
    runtime.engine.on((e) => {
      if (e.type === 'action.output') out(`[${e.step}] ${e.text}`);
      if (f.json) out(JSON.stringify(e));
    });
    session.begin();
    if (session.stateProblem) {
      // Refused (and the refusal audited) before anything is evaluated or run.
      const refused = kind === 'promote' ? await session.promote({ reason: f.reason }) : await session.rollback({ reason: f.reason });
      out(`flightdeck ${kind}: refused: ${(!refused.ok && refused.refused) || 'the rollout state is unusable'}`);
      return ACT_EXIT.cannotEvaluate;
    }
    await runtime.engine.backfill();
    await runtime.engine.poll('start');
    const st = runtime.engine.getState();
    const stage = st.stages[st.stageIndex]!;
    if (kind === 'promote') {
      const verdict = judge(st);
      if (verdict.exitCode === 2 && !f.override) {
        out(`flightdeck promote: could not evaluate the gates of ${stage.id}: ${verdict.reasons.join('; ')}`);
        return ACT_EXIT.cannotEvaluate;
      }
    }
    const outcome =
      kind === 'promote'
        ? await session.promote({ reason: f.reason, override: f.override ? { reason: f.reason!, acknowledged: true } : undefined })
        : await session.rollback({ reason: f.reason ?? `manual rollback of ${stage.id}`, includeOptional: f.include });
    if (!outcome.ok && outcome.refused) {
      out(`flightdeck ${kind}: refused: ${outcome.refused}`);
      return session.stateProblem ? ACT_EXIT.cannotEvaluate : ACT_EXIT.refused;
    }
    const r = outcome.result!;
    for (const s of r.steps) out(`  ${s.status.padEnd(20)} ${s.name}${s.exitCode !== null && s.exitCode !== undefined ? ` (exit ${s.exitCode})` : ''}${s.note ? ` — ${s.note}` : ''}`);
    out(`${kind} of ${stage.id}: ${r.summary}`);
    return outcome.ok ? ACT_EXIT.ok : ACT_EXIT.failed;
  } finally {
    await opened.close();
  }
}
