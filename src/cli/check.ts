/**
 * `flightdeck check PLAN`: evaluate every gate of a stage once, print a table
 * (or JSON), exit 0 pass / 1 a gate fails or blocks / 2 could not evaluate.
 */
import { kindModule } from '../../checks/index.js';
import type { Clock } from '../clock.js';
import type { Engine } from '../engine/engine.js';
import { promotionBlockers } from '../engine/stage.js';
import type { EngineState, GateView, PromotionBlocker } from '../engine/types.js';
import { formatProblem, PlanError, type LoadedPlan } from '../plan/plan-file.js';
import type { Plan } from '../plan/schema.js';
import { fileStore } from '../store/files.js';
import type { StateRead } from '../store/rollout-state.js';
import type { Store } from '../store/store.js';
import { buildRuntime } from './runtime.js';
import { textTable } from './table.js';

export const EXIT = { pass: 0, fail: 1, cannotEvaluate: 2 } as const;

export interface CheckOutcome {
  exitCode: 0 | 1 | 2;
  verdict: 'pass' | 'fail' | 'could not evaluate';
  state: EngineState;
  reasons: string[];
  /** The saved rollout state check started from (stage, entry time, baselines), or why it is unusable. */
  rollout?: StateRead;
}

/** Re-probes in one check are at most this far apart, whatever the plan's interval. */
export const CHECK_PROBE_GAP_MAX_MS = 2_000;
/** And at most this many rounds (a `consecutiveFailures: 50` gate is reported pending, not waited for). */
export const CHECK_PROBE_ROUNDS_MAX = 10;

export async function runCheck(loaded: LoadedPlan, opts: { stageId?: string; store?: Store }): Promise<CheckOutcome> {
  // The saved state says which stage to judge, since when, and against which baselines; an unusable one is
  // reported (exit 2) and the stage asked for, or the first, is evaluated without it.
  const rollout = await (opts.store ?? fileStore(loaded)).state.read();
  const saved = rollout.status === 'ok' && (!opts.stageId || opts.stageId === rollout.state.stageId) ? rollout.state : undefined;
  const rt = buildRuntime(loaded, {
    stageId: opts.stageId ?? saved?.stageId,
    stageEnteredAt: saved?.stageEnteredAt,
    rolledBack: saved?.rolledBack,
    baselines: saved?.baselines,
    oneShot: true,
  });
  try {
    await rt.engine.backfill();
    await rt.engine.poll('start');
    await settleProbes(rt.engine, rt.clock, loaded.plan);
    const outcome = judge(rt.engine.getState());
    if (rollout.status !== 'broken') return { ...outcome, rollout };
    const p = rollout.problem;
    return { ...outcome, rollout, exitCode: EXIT.cannotEvaluate, verdict: 'could not evaluate', reasons: [`rollout state ${p.location}: ${p.problem}; fix: ${p.fix}`, ...outcome.reasons] };
  } finally {
    await rt.close();
  }
}

/**
 * A health gate that needs N failed probes in a row (or a node gate with `forProbes: N`) cannot reach N in
 * one poll: while such a gate is pending on probes, probe again (the plan's interval, capped to a couple of
 * seconds) up to N times. What is still pending then stays pending, which fails the check: never ok with a
 * node down.
 */
export async function settleProbes(engine: Engine, clock: Clock, plan: Plan): Promise<void> {
  const gap = Math.max(250, Math.min(plan.polling.hot, plan.polling.phases[0]!.every, CHECK_PROBE_GAP_MAX_MS));
  const waiting = () => engine.activeGates().filter((g) => kindModule(g.kind).probesToDecide && g.state === 'pending');
  const need = Math.max(0, ...waiting().map((g) => kindModule(g.kind).probesToDecide!(g.spec) + (g.spec.forProbes ?? 1)));
  for (let round = 1; round < Math.min(need, CHECK_PROBE_ROUNDS_MAX) && waiting().length > 0; round++) {
    await clock.sleep(gap);
    await engine.poll('manual');
  }
}

/** The verdict of one evaluation. Errors (Prometheus down, a check that could not run) beat failures. */
export function judge(state: EngineState): CheckOutcome {
  const reasons: string[] = [];
  const promDown = state.prometheus.configured && state.prometheus.status === 'down';
  if (promDown) reasons.push(state.prometheus.lastError ?? `Prometheus ${state.prometheus.url} unreachable`);
  for (const g of state.gates) {
    if (g.state === 'error' && !(promDown && state.prometheus.lastError && g.why.includes(state.prometheus.lastError))) reasons.push(`${g.id}: ${g.why}`);
  }
  if (reasons.length) return { exitCode: EXIT.cannotEvaluate, verdict: 'could not evaluate', state, reasons };
  for (const g of state.gates) {
    if (g.blocks || (g.state === 'failing' && g.mode === 'enforce')) reasons.push(`${g.id} ${g.state}: ${g.why}`);
  }
  if (reasons.length) return { exitCode: EXIT.fail, verdict: 'fail', state, reasons };
  return { exitCode: EXIT.pass, verdict: 'pass', state, reasons };
}

export function formatCheck(o: CheckOutcome, columns = 160): string {
  const st = o.state;
  const stage = st.stages[st.stageIndex]!;
  const rows = st.gates.map((g: GateView) => [g.id, g.state, g.display, thresholdText(g), g.onFail, g.why]);
  const whyWidth = Math.max(30, columns - 90);
  const lines = [
    `${st.service} (${st.environment}) — stage ${stage.id} (${st.stageIndex + 1}/${st.stages.length})`,
    '',
    textTable(['GATE', 'STATE', 'VALUE', 'THRESHOLD', 'ON FAIL', 'WHY'], rows, [28, 8, 14, 24, 8, whyWidth]),
    '',
  ];
  if (o.rollout?.status === 'ok') lines.push(`rollout state: ${stage.id} entered ${new Date(o.rollout.state.stageEnteredAt).toISOString()} (${o.rollout.location})`);
  if (st.nodes.length) {
    const up = st.nodes.filter((n) => n.up).length;
    lines.push(`nodes: ${up}/${st.nodes.length} up`);
  }
  lines.push(`verdict: ${o.verdict.toUpperCase()} (exit ${o.exitCode})`);
  for (const r of o.reasons) lines.push(`  - ${r}`);
  return lines.join('\n');
}

function thresholdText(g: GateView): string {
  const fail = g.fail.length ? `fail ${g.fail.join(' or ')}` : '';
  const warn = g.warn.length ? `warn ${g.warn.join(' or ')}` : '';
  return [fail, warn].filter(Boolean).join('; ');
}

export function checkJson(o: CheckOutcome): unknown {
  const st = o.state;
  return {
    service: st.service,
    environment: st.environment,
    stage: st.stages[st.stageIndex]!.id,
    verdict: o.verdict,
    exitCode: o.exitCode,
    reasons: o.reasons,
    prometheus: st.prometheus,
    gates: st.gates.map((g) => ({
      id: g.id,
      kind: g.kind,
      state: g.state,
      // The condition held through an error or no data (pending/failing), and how long the breach has held.
      condition: g.condition,
      breachSince: g.breachSince,
      consecutiveErrors: g.consecutiveErrors,
      warnings: g.warnings,
      value: g.value,
      display: g.display,
      fail: g.fail,
      warn: g.warn,
      baseline: g.baseline,
      onFail: g.onFail,
      mode: g.mode,
      blocks: g.blocks,
      why: g.why,
      subject: g.subject,
      parts: g.parts,
    })),
    nodes: st.nodes.map((n) => ({ name: n.name, up: n.up, consecutiveFailures: n.consecutiveFailures, breaker: n.breaker, error: n.last?.errorCode ?? n.last?.error })),
    promotable: st.stages[st.stageIndex]!.promotable,
    blockers: blockersJson(st.stages[st.stageIndex]!),
    rolloutState: o.rollout && {
      location: o.rollout.location,
      status: o.rollout.status,
      ...(o.rollout.status === 'broken' ? { problem: o.rollout.problem.problem, fix: o.rollout.problem.fix } : {}),
      ...(o.rollout.status === 'ok' ? { stageId: o.rollout.state.stageId, stageEnteredAt: o.rollout.state.stageEnteredAt, window: o.rollout.state.window } : {}),
    },
  };
}

/** Everything that stops promotion, as the stage.promotable event says it: the bake time left first, then each blocking gate. */
export function blockersJson(stage: EngineState['stages'][number]): PromotionBlocker[] {
  return promotionBlockers(stage);
}

/** The JSON `check --json` prints when the plan does not load (or the run cannot start): no gates, every problem with file, line and field. */
export function planErrorJson(file: string, err: unknown): unknown {
  const errors =
    err instanceof PlanError
      ? err.problems.map((p) => ({ ...p, text: formatProblem(p) }))
      : [{ file, message: err instanceof Error ? err.message : String(err), text: `${file}: ${err instanceof Error ? err.message : String(err)}` }];
  return {
    planFile: file,
    verdict: 'could not evaluate',
    exitCode: EXIT.cannotEvaluate,
    reasons: errors.map((e) => e.text),
    errors,
    gates: [],
    promotable: false,
    blockers: [],
  };
}
