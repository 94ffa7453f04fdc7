/**
 * Where the rollout stands, in one derivation that every surface uses (the
 * cockpit's status line, header, pipeline, dialogs and activity log): the
 * stage and its word, the action running now (the session's own, the one the
 * quit key reads; the events' only in a replay), the rollback that happened
 * (when and why), and the next thing the guard will do on its own, with its
 * countdown.
 * Pure: state in, words out.
 */
import type { EngineEvent, EngineState, GateView, StageView } from '../engine/types.js';
import { gateConditionText, sanitize } from './values.js';

export type StageWord = 'promoting' | 'rolling back' | 'rolled back' | 'rollout complete' | 'promotable' | 'baking' | 'blocked' | 'waiting';

export interface RunningNow {
  action: string;
  auto: boolean;
  operator: string;
  stageId?: string;
  startedAt: number;
  lastLine?: string;
}

export interface RolledBackInfo {
  stageId: string;
  /** When the rollback finished (or was requested, when that is all the events still hold). */
  at?: number;
  auto?: boolean;
  gateId?: string;
  reason?: string;
}

export interface NextAutomatic {
  kind: 'auto-rollback';
  gateId: string;
  /** Time until the guard acts (at the first poll after the gate's `for` has passed); 0: at once. */
  inMs?: number;
  /** Breaching probes still to come, for `forProbes` gates. */
  probes?: number;
  /** "error-rate 15.2% > 2%". */
  reason: string;
  /** Set when the guard will not act itself: it raises an alert instead. */
  disabled?: string;
  /** With `disabled`, when it is for the operator to roll back: why the guard will not, in a few words ("auto-rollback withheld"). */
  byHand?: string;
}

export interface RolloutStatus {
  stage?: { index: number; count: number; id: string };
  word: StageWord;
  /** The current stage is the plan's last. */
  final: boolean;
  running?: RunningNow;
  rolledBack?: RolledBackInfo;
  next?: NextAutomatic;
  bakeLeftMs?: number;
}

/** What the session says runs (session/types.ts's RunningAction): null, nothing; undefined, no session (a replay). */
export interface RunningHint {
  kind: string;
  operator: string;
  startedAt: number;
  lastLine?: string;
}

export function currentStage(state: EngineState): StageView | undefined {
  return state.stages[state.stageIndex] ?? state.stages.find((s) => s.status === 'current');
}

/** Bake time left at `now`, from the stage's own figure at the state's time. */
export function bakeLeft(stage: StageView, now: number, stateNow: number): number | undefined {
  if (stage.bakeRemainingMs !== undefined) return Math.max(0, stage.bakeRemainingMs - (now - stateNow));
  if (stage.enteredAt !== undefined) return Math.max(0, stage.enteredAt + stage.bakeMs - now);
  return undefined;
}

type Started = Extract<EngineEvent, { type: 'action.started' }>;

/**
 * The action the events say runs now: the last start with no finish after it.
 * A refusal is of a request that never started: it ends nothing (the guard
 * refusing an auto-rollback while a promote runs leaves the promote running).
 */
export function runningFromEvents(events: readonly EngineEvent[]): RunningNow | null {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.type === 'action.finished') return null;
    if (e.type === 'action.started') {
      const s = e as Started;
      let lastLine: string | undefined;
      for (let j = events.length - 1; j > i; j--) {
        const o = events[j]!;
        if (o.type === 'action.output') {
          lastLine = `${sanitize(o.step)}: ${sanitize(o.text)}`;
          break;
        }
      }
      return { action: s.action, auto: s.auto, operator: s.operator, stageId: s.stageId, startedAt: s.at, lastLine };
    }
  }
  return null;
}

/**
 * What runs now. A live cockpit has a session, and the session's own running
 * action (extras.action) is the one source of truth, the one the quit key and
 * the dialogs read: it is claimed before the action's start is in the events
 * and cleared at its end. The events only add detail (its stage, its step's
 * last line) once they hold its start. Without a session (a replay:
 * `action` undefined), the events are all there is.
 */
export function runningNow(events: readonly EngineEvent[], action: RunningHint | null | undefined): RunningNow | undefined {
  const fromEvents = runningFromEvents(events);
  if (action === undefined) return fromEvents ?? undefined;
  if (action === null) return undefined;
  const kind = action.kind.toLowerCase();
  const same = fromEvents && fromEvents.startedAt >= action.startedAt ? fromEvents : undefined;
  return {
    action: kind.includes('rollback') ? 'rollback' : kind.includes('promote') ? 'promote' : kind,
    auto: same?.auto ?? kind.includes('auto'),
    operator: action.operator,
    stageId: same?.stageId,
    startedAt: action.startedAt,
    lastLine: same?.lastLine ?? (action.lastLine !== undefined ? sanitize(action.lastLine) : undefined),
  };
}

export function rolledBackInfo(state: EngineState, stage: StageView | undefined): RolledBackInfo | undefined {
  if (!stage || !(state.rolledBack || stage.status === 'rolled back')) return undefined;
  const info: RolledBackInfo = { stageId: stage.id };
  for (let i = state.events.length - 1; i >= 0; i--) {
    const e = state.events[i]!;
    if (e.type === 'stage.rolled-back' && e.stageId === stage.id && info.at === undefined) info.at = e.at;
    if (e.type === 'action.finished' && e.action === 'rollback' && e.stageId === stage.id && info.at === undefined) info.at = e.at;
    if (e.type === 'rollback.requested' && e.stageId === stage.id) {
      info.at ??= e.at;
      info.auto = e.auto;
      info.gateId = e.gateId;
      info.reason = sanitize(e.reason);
      break;
    }
    if (e.type === 'action.started' && e.action === 'rollback' && e.stageId === stage.id) {
      info.at ??= e.at;
      info.auto = e.auto;
      if (e.reason) info.reason = sanitize(e.reason);
      break;
    }
    if (e.type === 'stage.entered' && e.stageId === stage.id) break;
  }
  return info;
}

/** The first poll at or after `at`, from the polling schedule. */
function firstPollAtOrAfter(state: EngineState, at: number, now: number): number {
  const p = state.polling;
  if (p.nextPollAt === undefined || p.intervalMs <= 0) return Math.max(at, now);
  if (p.nextPollAt >= at) return p.nextPollAt;
  return p.nextPollAt + Math.ceil((at - p.nextPollAt) / p.intervalMs) * p.intervalMs;
}

/**
 * Why the guard's own rollback of the current stage did not run (it asks once
 * per stage and does not ask again): refused, withheld after a rollback whose
 * outcome is unknown, or off (--no-auto-rollback); undefined when it was not held back.
 */
export function autoRollbackHeldBack(events: readonly EngineEvent[]): { word: string; why?: string } | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.type === 'stage.entered' || e.type === 'stage.rolled-back' || (e.type === 'action.started' && e.action === 'rollback')) return undefined;
    if (e.type === 'action.refused' && e.action === 'rollback' && e.auto) return { word: 'auto-rollback refused', why: sanitize(e.why) };
    if (e.type === 'alert.firing' && e.source === 'flightdeck' && e.name === 'auto-rollback withheld') return { word: 'auto-rollback withheld', why: "an earlier rollback's outcome is unknown" };
    if (e.type === 'alert.firing' && e.source === 'flightdeck' && e.name === 'auto-rollback disabled') return { word: 'auto-rollback off' };
  }
  return undefined;
}

/**
 * The next automatic rollback, if a rollback gate breaches; the soonest first.
 * It is told as the guard will do it: not at all in read-only, refused while
 * another action runs, and not asked again once refused in this stage.
 */
export function nextAutomatic(state: EngineState, now: number, opts: { readonly?: boolean; running?: RunningNow } = {}): NextAutomatic | undefined {
  let best: NextAutomatic | undefined;
  const consider = (n: NextAutomatic) => {
    if (!best || (n.inMs ?? Infinity) < (best.inMs ?? Infinity)) best = n;
  };
  const refused = opts.readonly ? undefined : autoRollbackHeldBack(state.events);
  const disabled = opts.readonly
    ? 'read-only: roll back by hand'
    : refused !== undefined
      ? `${refused.word}${refused.why ? ` (${refused.why})` : ''}: roll back by hand`
      : opts.running
        ? `the guard refuses it while the ${opts.running.action} runs`
        : undefined;
  const byHand = refused?.word;
  for (const g of state.gates) {
    if (g.onFail !== 'rollback') continue;
    const reason = `${sanitize(g.id)} ${gateConditionText(g)}`;
    if (g.state === 'failing') consider({ kind: 'auto-rollback', gateId: g.id, inMs: 0, reason, disabled, byHand });
    else if (g.state === 'pending' && g.failsIn) {
      if (g.failsIn.ms !== undefined) {
        const due = state.now + g.failsIn.ms;
        consider({ kind: 'auto-rollback', gateId: g.id, inMs: Math.max(0, firstPollAtOrAfter(state, due, now) - now), reason, disabled, byHand });
      } else if (g.failsIn.probes !== undefined) {
        const nextPoll = state.polling.nextPollAt;
        const inMs = nextPoll === undefined ? undefined : Math.max(0, nextPoll + (g.failsIn.probes - 1) * state.polling.intervalMs - now);
        consider({ kind: 'auto-rollback', gateId: g.id, inMs, probes: g.failsIn.probes, reason, disabled, byHand });
      }
    }
  }
  return best;
}

export function rolloutStatus(state: EngineState, now: number, opts: { readonly?: boolean; action?: RunningHint | null } = {}): RolloutStatus {
  const stage = currentStage(state);
  // The last stage only: a stage without a promote action but with stages after it is promoted outside Flightdeck.
  const final = !!stage && stage.index >= state.stages.length - 1;
  const running = runningNow(state.events, opts.action);
  const rolledBack = rolledBackInfo(state, stage);
  const left = stage ? bakeLeft(stage, now, state.now) : undefined;
  let word: StageWord;
  if (running?.action === 'rollback') word = 'rolling back';
  else if (rolledBack) word = 'rolled back';
  else if (running?.action === 'promote') word = 'promoting';
  else if (stage?.promotable && final) word = 'rollout complete';
  else if (stage?.promotable) word = 'promotable';
  else if (stage && stage.blockers.length > 0) word = 'blocked';
  else if (left !== undefined && left > 0) word = 'baking';
  else word = 'waiting';
  const next = rolledBack || running?.action === 'rollback' ? undefined : nextAutomatic(state, now, { readonly: opts.readonly, running });
  return {
    stage: stage ? { index: stage.index, count: state.stages.length, id: stage.id } : undefined,
    word,
    final,
    running,
    rolledBack,
    next,
    bakeLeftMs: left,
  };
}

/** "AUTO-ROLLBACK in 29s" / "AUTO-ROLLBACK now" / "AUTO-ROLLBACK after 2 probes (~10s)". */
export function nextAutomaticHead(n: NextAutomatic, fmt: (ms: number) => string): string {
  const name = n.disabled ? 'ROLLBACK DUE' : 'AUTO-ROLLBACK';
  if (n.probes !== undefined) return `${name} after ${n.probes} more probe${n.probes === 1 ? '' : 's'}${n.inMs !== undefined ? ` (~${fmt(n.inMs)})` : ''}`;
  if (!n.inMs) return `${name} now`;
  return `${name} in ${fmt(n.inMs)}`;
}

/** The gates that make a rollback gate pending or failing, by id (for tests and dialogs). */
export function rollbackGates(gates: readonly GateView[]): GateView[] {
  return gates.filter((g) => g.onFail === 'rollback' && (g.state === 'pending' || g.state === 'failing'));
}
