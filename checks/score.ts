/**
 * score: a stage's compare gates weighed into 0–100. It reads the other
 * gates' judgements, so the engine derives it after them in each poll
 * (scoreResult); its check is never asked.
 */
import * as z from 'zod';
import { scoreMetrics } from '../src/judge/score.js';
import type { Classification } from '../src/judge/types.js';
import type { GateSpec } from '../src/plan/schema.js';
import type { Check, CheckResult, GateKindModule, PlanProblem } from './types.js';

/** A stage's score from its compare gates: below pass is marginal (warn), below marginal fails. */
export const scoreSpec = z
  .object({
    pass: z.number().min(0).max(100).default(95),
    /** Above 0: a score forced to 0 (a critical metric not pass, half the metrics without data) must fail. */
    marginal: z.number().gt(0, 'expected marginal above 0: a score of 0 (a critical metric not pass, or half the metrics without data) must fail').max(100).default(75),
    /** The compare gates scored (default: every compare gate of the stage and plan). */
    gates: z.array(z.string()).optional(),
  })
  .strict()
  .refine((s) => s.marginal <= s.pass, 'expected marginal <= pass');

/** The score kind's part of a gate's schema. */
export const scoreFields = { score: scoreSpec.optional() };

export const scoreCheck: Check = async () => ({ status: 'error', reason: 'a score gate is derived from the compare gates after each poll' });

/** The score gate's result from the compare gates' latest judgements. */
export function scoreResult(spec: GateSpec, gates: ReadonlyArray<{ spec: GateSpec; judge?: { kind: string; detail: unknown }; state: string }>): CheckResult {
  const s = spec.score!;
  const wanted = s.gates ? new Set(s.gates) : undefined;
  const compares = gates.filter((g) => g.spec.compare && (!wanted || wanted.has(g.spec.id)) && g.state !== 'off');
  const metrics = compares.map((g) => {
    const c = g.judge?.kind === 'compare' ? (g.judge.detail as { classification: Classification }).classification : null;
    return { gateId: g.spec.id, classification: c, weight: g.spec.compare!.weight, critical: g.spec.compare!.critical };
  });
  const missing = s.gates?.filter((id) => !compares.some((g) => g.spec.id === id)) ?? [];
  // A gate named but absent is missing evidence: it counts as no data, never as a pass.
  for (const id of missing) metrics.push({ gateId: id, classification: null, weight: 1, critical: false });
  const detail = scoreMetrics(metrics, s.pass, s.marginal);
  if (missing.length) detail.reason += `; not in this stage: ${missing.join(', ')}`;
  return { status: 'value', value: detail.score, note: `${detail.verdict}: ${detail.reason}`, judge: { kind: 'score', detail } };
}

export const scoreKind: GateKindModule = {
  kind: 'score',
  judged: true,
  check: scoreCheck,
  describe: (g) => `canary score of ${g.score!.gates?.join(', ') ?? 'the compare gates'} (pass ${g.score!.pass}, marginal ${g.score!.marginal})`,
  // Below marginal fails; below pass is the warn band.
  defaultFail: (g) => `< ${g.score!.marginal}`,
  defaultWarn: (g) => `< ${g.score!.pass}`,
  derive: scoreResult,
  // A score gate weighs compare gates it can see (its stage's and the plan-wide ones); a name that is not one is a mistake.
  validate: ({ gate, path, stageIndex }, gates) => {
    const score = obj(gate.score);
    if (!score) return [];
    const out: PlanProblem[] = [];
    const visible = gates.filter((g) => g.kind === 'compare' && (stageIndex === null || g.stageIndex === null || g.stageIndex === stageIndex));
    const compareIds = new Set(visible.map((g) => str(g.gate.id)).filter((id) => id !== undefined));
    if (visible.length === 0) out.push({ path: [...path, 'score'], at: 'key', message: 'a score gate weighs compare gates, and none is in its stage or plan-wide: its score would always be 0' });
    (Array.isArray(score.gates) ? score.gates : []).forEach((id, i) => {
      if (typeof id === 'string' && !compareIds.has(id)) {
        out.push({ path: [...path, 'score', 'gates', i], message: `"${id}" is not a compare gate of this stage or plan-wide${compareIds.size ? ` (compare gates: ${[...compareIds].join(', ')})` : ''}` });
      }
    });
    return out;
  },
};

function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
