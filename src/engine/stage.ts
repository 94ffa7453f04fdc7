/**
 * Stage promotability: a stage may be promoted once its bake time has passed
 * and no block/rollback gate stops it; otherwise promotion needs a guarded
 * override, and the blockers say why (value and threshold).
 */
import { kindModule } from '../../checks/index.js';
import { formatDuration } from '../duration.js';
import type { StageSpec } from '../plan/schema.js';
import { breaches } from '../plan/threshold.js';
import { gateBlocks, type GateRuntime } from './gate.js';
import type { Blocker, PromotionBlocker, StageStatus, StageView } from './types.js';

export interface StageContext {
  index: number;
  currentIndex: number;
  enteredAt?: number;
  now: number;
  rolledBack: boolean;
  /** Gates that apply while this stage is current (its own, then plan-wide). */
  gates: GateRuntime[];
}

export function stageView(stage: StageSpec, ctx: StageContext): StageView {
  const status: StageStatus =
    ctx.index < ctx.currentIndex ? 'done' : ctx.index > ctx.currentIndex ? 'next' : ctx.rolledBack ? 'rolled back' : 'current';
  const base = {
    id: stage.id,
    title: stage.title ?? stage.id,
    index: ctx.index,
    status,
    bakeMs: stage.bake,
    hasPromote: stage.promote !== undefined,
    hasRollback: stage.rollback !== undefined,
  };
  if (status !== 'current' && status !== 'rolled back') {
    return { ...base, promotable: false, blockers: [], cautions: [] };
  }
  const baked = ctx.enteredAt === undefined ? 0 : ctx.now - ctx.enteredAt;
  const bakeRemainingMs = Math.max(0, stage.bake - baked);
  const blockers = blockersOf(ctx.gates);
  const cautions = ctx.gates.filter((g) => g.state === 'warn').map((g) => g.spec.id);
  return {
    ...base,
    enteredAt: ctx.enteredAt,
    bakeRemainingMs,
    promotable: status === 'current' && bakeRemainingMs === 0 && blockers.length === 0,
    blockers,
    cautions,
  };
}

export function blockersOf(gates: GateRuntime[]): Blocker[] {
  return gates.filter(gateBlocks).map((g) => {
    // A gate that reads nodes names those it blocks on (its kind knows which of its parts they are).
    const nodes = kindModule(g.kind).blockingNodes?.(g.parts ?? [], (v) => g.fail.some((t) => breaches(t, v, g.baseline) === true));
    return {
      gateId: g.spec.id,
      state: g.state,
      display: g.display,
      threshold: g.fail.map((t) => t.text).join(' or '),
      why: g.why,
      ...(nodes?.length ? { nodes } : {}),
    };
  });
}

/** Everything that stops the stage's promotion, in the one shape of events and `check --json`: the bake time left first, then each blocking gate. */
export function promotionBlockers(stage: Pick<StageView, 'blockers' | 'bakeRemainingMs'>): PromotionBlocker[] {
  const left = stage.bakeRemainingMs ?? 0;
  return [
    ...(left > 0 ? [{ kind: 'bake' as const, left: formatDuration(left), leftMs: left }] : []),
    ...stage.blockers.map(({ gateId, ...b }) => ({ kind: 'gate' as const, id: gateId, ...b })),
  ];
}
