/**
 * Summarises a recorded deploy window: replays it into a fresh engine (no
 * network) and walks the recorded entries, so the report holds every
 * evaluation and every event of the window, not only the engine's bounded
 * in-memory history.
 */
import type { EngineEvent, EngineState } from '../engine/types.js';
import type { Recording } from '../record/read.js';
import { ReplayDriver } from '../record/replay.js';
import { offset, span } from './format.js';
import type { ActionReport, GateReport, ReportModel, StageReport, StageVisit, Verdict } from './model.js';
import { actionsOf, alertsOf, nodesOf, notificationsOf } from './summary-events.js';
import { GateCollector } from './summary-gates.js';

export type { ReportModel } from './model.js';

export function summarise(rec: Recording): ReportModel {
  const driver = openReplay(rec);
  const start = rec.header.windowStart;
  const gates = new GateCollector();
  let replayedChanges = 0;
  driver.engine.on((e, origin) => {
    if (origin === 'engine' && e.type === 'gate.changed') replayedChanges++;
  });
  gates.observe(driver.engine.getState());
  while (driver.step()) {
    const applied = rec.entries[driver.pos - 1]!;
    if (applied.kind === 'obs' || applied.kind === 'cmd') gates.observe(driver.engine.getState());
  }
  const final = driver.engine.getState();
  const plan = driver.engine.plan;

  const events: EngineEvent[] = [];
  let end = start;
  let obsCount = 0;
  for (const e of rec.entries) {
    if (e.kind === 'event') events.push(e.event);
    if (e.kind === 'obs') obsCount++;
    end = Math.max(end, e.kind === 'event' ? e.event.at : e.at);
  }
  // A promote or a rollback opens a new window: the recording is judged by the last one opened.
  const opened = events.filter((e) => e.type === 'stage.entered' || e.type === 'stage.rolled-back').at(-1)?.at ?? start;
  const completed = events.find((e): e is Extract<EngineEvent, { type: 'window.completed' }> => e.type === 'window.completed' && e.at >= opened);
  const stages = stagesOf(rec, final, end);
  const gateReports = gates.reports(plan, events, stages, end);
  const actions = actionsOf(events);
  const recordedChanges = events.filter((e) => e.type === 'gate.changed').length;

  const warnings: string[] = [];
  if (obsCount === 0) warnings.push('the recording holds no observations: nothing was polled');
  if (replayedChanges !== recordedChanges) {
    warnings.push(`replaying the recording gave ${replayedChanges} gate changes where it recorded ${recordedChanges}; the timelines follow the recording`);
  }

  const model: ReportModel = {
    service: plan.service,
    environment: plan.environment,
    planFile: rec.header.planFile,
    planText: rec.header.planText,
    ...(plan.description !== undefined ? { description: plan.description } : {}),
    ...(rec.header.operator !== undefined ? { operator: rec.header.operator } : {}),
    ...(rec.header.speed !== undefined ? { speed: rec.header.speed } : {}),
    window: {
      start,
      end,
      durationMs: end - start,
      plannedMs: plan.polling.window,
      plannedEnd: opened + plan.polling.window,
      completed: completed !== undefined,
      ...(completed ? { completedAt: completed.at, engineVerdict: completed.verdict } : {}),
    },
    verdict: { outcome: 'interrupted', reasons: [] },
    decisive: [],
    stages,
    gates: gateReports,
    alerts: alertsOf(events, end),
    actions,
    refusals: events.flatMap((e) => (e.type === 'action.refused' ? [{ at: e.at, action: e.action, stageId: e.stageId, why: e.why }] : [])),
    overrides: events.flatMap((e) => (e.type === 'override' ? [{ at: e.at, stageId: e.stageId, operator: e.operator, blockers: e.blockers, fields: e.fields }] : [])),
    rollbackRequests: events.flatMap((e) => (e.type === 'rollback.requested' ? [{ at: e.at, stageId: e.stageId, gateId: e.gateId, reason: e.reason, auto: e.auto }] : [])),
    signoffs: events.flatMap((e) => (e.type === 'signoff' ? [{ at: e.at, gateId: e.gateId, operator: e.operator, note: e.note }] : [])),
    notifications: notificationsOf(events),
    nodes: nodesOf(events, end),
    prometheus: events.flatMap((e): ReportModel['prometheus'] => (e.type === 'prometheus.down' ? [{ at: e.at, kind: 'down', error: e.error }] : e.type === 'prometheus.up' ? [{ at: e.at, kind: 'up' }] : [])),
    polls: { count: obsCount, failed: events.filter((e) => e.type === 'poll.done' && !e.ok).length },
    warnings,
  };
  model.verdict = verdictOf(model);
  model.decisive = decisiveGates(model);
  return model;
}

function openReplay(rec: Recording): ReplayDriver {
  try {
    return new ReplayDriver(rec);
  } catch (err) {
    throw new Error(`the recorded plan (${rec.header.planFile}) cannot be replayed: ${(err as Error).message}`);
  }
}

/** Each stage's visits: entered at the window's start or by a promote/rollback, left by the next, rolled back by a rolled-back command. */
function stagesOf(rec: Recording, final: EngineState, end: number): StageReport[] {
  const visits = new Map<number, StageVisit[]>();
  let current: StageVisit = { enteredAt: rec.header.windowStart, by: 'start' };
  visits.set(rec.header.stageIndex, [current]);
  for (const e of rec.entries) {
    if (e.kind === 'cmd' && e.cmd.type === 'rolled-back') {
      current.rolledBackAt ??= e.at;
    } else if (e.kind === 'event' && e.event.type === 'stage.entered' && e.event.by !== 'start') {
      current.leftAt = e.event.at;
      current.leftBy = e.event.by;
      current = { enteredAt: e.event.at, by: e.event.by };
      const list = visits.get(e.event.index) ?? [];
      list.push(current);
      visits.set(e.event.index, list);
    }
  }
  return final.stages.map((s, i) => {
    const vs = visits.get(i) ?? [];
    const rolledBack = vs.some((v) => v.rolledBackAt !== undefined || v.leftBy === 'rollback');
    let finalStatus: StageReport['finalStatus'] = s.status;
    if (vs.length === 0) finalStatus = i < rec.header.stageIndex ? 'before window' : 'not reached';
    else if (s.status === 'next') finalStatus = rolledBack ? 'rolled back' : 'next';
    return {
      id: s.id,
      title: s.title,
      index: i,
      bakeMs: s.bakeMs,
      visits: vs,
      rolledBack,
      finalStatus,
      timeMs: vs.reduce((n, v) => n + ((v.leftAt ?? end) - v.enteredAt), 0),
    };
  });
}

/**
 * The verdict, in this order: a rollback that failed (and was not retried
 * successfully) is a failure; a stage rolled back makes the window "rolled
 * back"; a completed window the engine judged failing, or a promote that
 * failed, is a failure; a recording that stops before its window ends is
 * "complete" when the rollout reached its final stage with every guarding
 * gate passing, else "interrupted"; otherwise it passed.
 */
export function verdictOf(m: ReportModel): { outcome: Verdict; reasons: string[] } {
  const at = (t: number) => offset(t, m.window.start);
  const lastOf = (kind: ActionReport['action'], stageId?: string) =>
    m.actions.filter((a) => a.action === kind && !a.dryRun && a.ok !== undefined && (stageId === undefined || a.stageId === stageId)).at(-1);
  const failedRollback = lastOf('rollback');
  if (failedRollback && failedRollback.ok === false) {
    return { outcome: 'failed', reasons: [`rollback of ${failedRollback.stageId} failed at ${at(failedRollback.finishedAt!)}: ${failedRollback.summary ?? 'no summary'}`, ...requestReasons(m)] };
  }

  const rolled = m.stages.filter((s) => s.rolledBack);
  if (rolled.length > 0) {
    const reasons = rolled.flatMap((s) =>
      s.visits
        .filter((v) => v.rolledBackAt !== undefined || v.leftBy === 'rollback')
        .map((v) => {
          const t = v.rolledBackAt ?? v.leftAt!;
          const back = v.leftBy === 'rollback' ? m.stages.find((o) => o.visits.some((x) => x.by === 'rollback' && x.enteredAt === v.leftAt)) : undefined;
          const cause = causeOfRollback(m, s.id, t) ?? (back ? `moved back to ${back.id}` : undefined);
          return `${s.id} rolled back at ${at(t)}${cause ? `: ${cause}` : ''}`;
        }),
    );
    return { outcome: 'rolled back', reasons };
  }

  const problems: string[] = [];
  for (const stageId of new Set(m.actions.filter((a) => a.action === 'promote').map((a) => a.stageId))) {
    const p = lastOf('promote', stageId);
    if (p && p.ok === false) problems.push(`promote of ${stageId} failed at ${at(p.finishedAt!)}: ${p.summary ?? 'no summary'}`);
  }
  const blocking = guardingGatesBad(m.gates);
  if (m.window.completed && m.window.engineVerdict === 'fail') {
    return { outcome: 'failed', reasons: [...blocking.map((g) => `${g.id} ${g.finalState} at the end: ${g.finalWhy}`), ...requestReasons(m), ...problems, ...(blocking.length + problems.length === 0 ? ['the engine judged the window failing'] : [])] };
  }
  if (m.window.completed && problems.length > 0) return { outcome: 'failed', reasons: problems };
  if (!m.window.completed) {
    const left = m.window.plannedEnd - m.window.end;
    const cut = `the recording ends at ${at(m.window.end)}, ${span(left)} before the window's planned end (${span(m.window.plannedMs)})`;
    const last = m.stages.at(-1);
    const finalVisit = last?.visits.at(-1);
    if (last && finalVisit && finalVisit.leftAt === undefined && problems.length === 0 && blocking.length === 0 && requestReasons(m).length === 0) {
      const inStage = m.window.end - finalVisit.enteredAt;
      const baked = inStage >= last.bakeMs ? `baked ${span(last.bakeMs)}` : `${span(last.bakeMs - inStage)} of its ${span(last.bakeMs)} bake left`;
      return {
        outcome: 'complete',
        reasons: [`the rollout reached its final stage ${last.id} at ${at(finalVisit.enteredAt)} with every guarding gate passing (${baked})`, cut, ...overrideReasons(m), ...alertOnlyReasons(m)],
      };
    }
    const st = m.stages.filter((s) => s.visits.length > 0).at(-1);
    const where = st ? `at stage ${st.id} (${st.index + 1} of ${m.stages.length})` : 'before any stage';
    return { outcome: 'interrupted', reasons: [`interrupted ${where}: ${cut}`, ...requestReasons(m), ...problems, ...blocking.map((g) => `${g.id} ${g.finalState} when the recording ends: ${g.finalWhy}`)] };
  }
  return { outcome: 'passed', reasons: [`the ${span(m.window.plannedMs)} window completed with every guarding gate passing`, ...overrideReasons(m), ...alertOnlyReasons(m)] };
}

function overrideReasons(m: ReportModel): string[] {
  return m.overrides.map((o) => `guarded override of ${o.stageId} by ${o.operator} at ${offset(o.at, m.window.start)} past ${o.blockers.join(', ') || 'no blockers'}: ${o.fields.override_reason}`);
}

function alertOnlyReasons(m: ReportModel): string[] {
  const alerting = m.gates.filter((g) => g.onFail === 'alert' && g.failingMs > 0);
  return alerting.length > 0 ? [`alert-only gates failed for a while: ${alerting.map((g) => `${g.id} (${span(g.failingMs)})`).join(', ')}`] : [];
}

/** How many gates the report puts first, with their charts. */
const DECISIVE_MAX = 3;

/**
 * The gates that decided the verdict, most decisive first: for a rollback, the gates whose breach
 * asked for it (then others failing in that stage); for a failure or an interruption, the guarding
 * gates that were not passing at the end; for a passed or complete rollout, the guarding gates of
 * the stage the rollout ended in (rollback gates first), which are what let it through.
 */
export function decisiveGates(m: ReportModel): string[] {
  const out: string[] = [];
  const add = (keys: string[]) => {
    for (const k of keys) if (!out.includes(k) && out.length < DECISIVE_MAX) out.push(k);
  };
  const byFailing = (gs: GateReport[]) => [...gs].sort((a, b) => b.failingMs - a.failingMs).map((g) => g.key);
  const rank = (g: GateReport) => (g.onFail === 'rollback' ? 0 : g.onFail === 'block' ? 1 : 2);
  const v = m.verdict.outcome;
  if (v === 'rolled back') {
    const rolled = new Set(m.stages.filter((s) => s.rolledBack).map((s) => s.id));
    add(m.rollbackRequests.filter((r) => rolled.has(r.stageId)).flatMap((r) => m.gates.filter((g) => g.id === r.gateId && (g.stageId === r.stageId || g.stageId === null)).map((g) => g.key)));
    add(byFailing(m.gates.filter((g) => g.failingMs > 0 && (g.stageId === null || rolled.has(g.stageId)))));
  }
  if (v === 'failed' || v === 'interrupted' || v === 'rolled back') {
    add(guardingGatesBad(m.gates).map((g) => g.key));
    add(byFailing(m.gates.filter((g) => g.failingMs > 0 && g.onFail !== 'alert')));
  }
  if (out.length > 0 && v !== 'passed' && v !== 'complete') return out;
  // The stage the rollout ended in, or the last one before it that had guarding gates (a final
  // stage often has none: what let the rollout through were the gates of the stage before).
  for (const st of m.stages.filter((s) => s.visits.length > 0).reverse()) {
    const guards = m.gates.filter((g) => g.stageId === st.id && g.onFail !== 'alert' && g.mode !== 'off');
    if (guards.length === 0) continue;
    add(guards.sort((a, b) => rank(a) - rank(b)).map((g) => g.key));
    break;
  }
  return out;
}

/** Gates that guard the rollout (block or rollback) and were not passing when last evaluated. */
function guardingGatesBad(gates: GateReport[]): GateReport[] {
  return gates.filter((g) => g.onFail !== 'alert' && (g.finalState === 'failing' || g.finalState === 'pending'));
}

function requestReasons(m: ReportModel): string[] {
  return m.rollbackRequests
    .filter((r) => !m.stages.some((s) => s.id === r.stageId && s.rolledBack))
    .map((r) => `${r.auto ? 'auto-' : ''}rollback of ${r.stageId} requested at ${offset(r.at, m.window.start)} and not carried out: ${r.reason}`);
}

/** Why a stage was rolled back: who rolled it back, and the reason given (or the request just before). */
function causeOfRollback(m: ReportModel, stageId: string, t: number): string | undefined {
  const req = m.rollbackRequests.filter((r) => r.stageId === stageId && r.at <= t).at(-1);
  const action = m.actions.filter((a) => a.action === 'rollback' && a.stageId === stageId && a.startedAt <= t).at(-1);
  if (!action) return req ? `requested: ${req.reason}` : undefined;
  const who = action.auto ? 'auto-rollback' : `by ${action.operator}`;
  const why = action.reason?.replace(/^auto: /, '') ?? req?.reason;
  return why ? `${who}, ${why}` : who;
}
