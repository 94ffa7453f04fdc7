/**
 * What the cockpit's dialogs act through (the UI's CockpitActions, built by
 * the CLI that draws the cockpit): previews of the exact commands, and the
 * session's guarded actions, in this process or through the guard.
 */
import { describeAction } from '../actions/describe.js';
import { planSteps } from '../actions/steps.js';
import type { EngineState } from '../engine/types.js';
import type { Plan } from '../plan/schema.js';
import type { PromoteRequest, RollbackRequest } from '../session/session.js';
import type { RunningAction } from '../session/types.js';
import type { ActionOutcomeView, CockpitActions, PromotePreview, RollbackPreview } from '../ui-contract.js';

type Outcome = { ok: boolean; refused?: string; result?: { summary: string } };

/** What the dialogs need of a session: the in-process Session, or a cockpit attached to a guard. */
export interface ActingSession {
  engine: { getState(): EngineState; readonly plan: Plan };
  readonly readonly: boolean;
  readonly actionRunning: RunningAction | null;
  promote(req: PromoteRequest): Promise<Outcome>;
  rollback(req: RollbackRequest): Promise<Outcome>;
  /** Throws (or, through a guard, rejects with) the refusal. */
  signoff(gateId: string, note: string, o?: { stageId?: string }): void | Promise<void>;
}

export function cockpitActions(session: ActingSession, opts: { dryRun: boolean }): CockpitActions {
  const engine = session.engine;
  const current = () => {
    const st = engine.getState();
    return { st, view: st.stages[st.stageIndex]!, spec: engine.plan.stages[st.stageIndex]! };
  };
  return {
    previewPromote(): PromotePreview | string {
      if (session.readonly) return 'read-only: promotion is disabled (started with --readonly)';
      const { st, view, spec } = current();
      if (!spec.promote) return `stage ${view.id} has no promote action in the plan`;
      return {
        from: view.id,
        to: st.stages[st.stageIndex + 1]?.id ?? null,
        promotable: view.promotable,
        blockers: view.blockers,
        cautions: view.cautions,
        bakeRemainingMs: view.bakeRemainingMs ?? 0,
        commands: describeAction(spec.promote, 'promote', opts.dryRun),
        minReasonLength: engine.plan.override.minReasonLength,
        dryRun: opts.dryRun,
      };
    },
    previewRollback(): RollbackPreview | string {
      if (session.readonly) return 'read-only: rollback is disabled (started with --readonly)';
      const { view, spec } = current();
      if (!spec.rollback) return `stage ${view.id} has no rollback action in the plan`;
      return {
        stage: view.id,
        service: engine.plan.service,
        confirmWords: [engine.plan.service, view.id],
        commands: describeAction(spec.rollback, 'rollback', opts.dryRun),
        optionalSteps: planSteps(spec.rollback, 'rollback').filter((s) => s.optional).map((s) => s.name),
        dryRun: opts.dryRun,
        rolledBack: view.status === 'rolled back',
      };
    },
    promote: async (req) => view(await session.promote(req)),
    rollback: async (req) =>
      view(await session.rollback({ stageId: req.stageId, expectNotRolledBack: req.expectNotRolledBack, reason: req.reason, includeOptional: req.includeOptional })),
    signoff(gateId, note, stageId) {
      try {
        const answer = session.signoff(gateId, note, stageId !== undefined ? { stageId } : {});
        if (answer) return answer.then(() => ({ ok: true }) as const, (err: Error) => ({ ok: false, error: err.message }) as const);
        return { ok: true };
      } catch (err) {
        return { ok: false, error: (err as Error).message };
      }
    },
    running: () => session.actionRunning,
  };
}

function view(o: Outcome): ActionOutcomeView {
  if (!o.ok && o.refused) return { ok: false, refused: o.refused };
  return { ok: o.ok, summary: o.result?.summary };
}
