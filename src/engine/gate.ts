/**
 * The gate state machine, pure. A gate keeps two things apart:
 *
 * - its condition (ok / warn / pending / failing), decided only by values.
 *   As in Prometheus's alerting rule (rules/alerting.go), a breach starts
 *   `pending` with an active-since time and becomes `failing` once it has
 *   held for `for` (or `forProbes` breaching evaluations); one evaluation
 *   with a value that does not breach resets it;
 * - the health of its source: an evaluation that errors or has no data
 *   neither passes nor resets a breach already held. The gate shows `error`
 *   (or `no data`) with how long the breach has held and blocks promotion at
 *   once; the next breaching value fails it as soon as the breach has held
 *   for `for`, counted from its start. Prometheus likewise keeps a pending
 *   alert through a failed evaluation (Eval returns before touching its
 *   active alerts); unlike Prometheus, where an empty result deletes a
 *   pending alert, no data does not reset a breach here either: a metric
 *   vanishing mid-incident (a crashed node stops exporting) must not restart
 *   the clock of an auto-rollback.
 *
 * After `errorLimit` errors in a row (like Argo Rollouts'
 * consecutiveErrorLimit) the gate's `onError` applies: `hold` blocks
 * promotion whatever `noData` says and raises an alert; `rollback` also asks
 * for a rollback (the engine does that). No data is never a pass.
 */
import { kindModule } from '../../checks/index.js';
import { formatDuration } from '../duration.js';
import { gateKind, type GateKind, type GateSpec, type Mode, type OnFail } from '../plan/schema.js';
import { breaches, describeThreshold, parseThreshold, type Threshold } from '../plan/threshold.js';
import { formatWithUnit, type Unit } from '../plan/units.js';
import type { CheckResult, GateSample, GateState, GateView, Value } from './types.js';

export const HISTORY_LIMIT = 360;
export const DEFAULT_ERROR_LIMIT = 3;

export type Condition = 'ok' | 'warn' | 'pending' | 'failing';

export interface GateRuntime {
  spec: GateSpec;
  stageId: string | null;
  kind: GateKind;
  fail: Threshold[];
  warn: Threshold[];
  mode: Mode;
  state: GateState;
  since: number;
  value: Value | null;
  display: string;
  why: string;
  baseline?: number;
  /** First good value in the window: the baseline of relative thresholds without a baseline spec. */
  firstValue?: number;
  /** The stage was entered before this engine saw it: the first value is no baseline; a saved one or history is. */
  awaitBaseline?: boolean;
  /** Why no baseline could be had (Prometheus history had no value at the stage's entry). */
  baselineMissing?: string;
  breachSince?: number;
  consecutiveBreaches: number;
  /** The condition the last value gave; kept through error and no-data evaluations. */
  condition?: Condition;
  /** Error evaluations in a row (reset by any answer, value or no data). */
  consecutiveErrors: number;
  /** Prometheus's warnings on the last answer (a partial response). */
  warnings?: string[];
  failsIn?: { ms?: number; probes?: number };
  history: GateSample[];
  parts?: GateView['parts'];
  lastEvaluatedAt?: number;
  signoff?: GateView['signoff'];
  judge?: GateView['judge'];
}

export function createGateRuntime(spec: GateSpec, stageId: string | null, planMode: Mode, now: number): GateRuntime {
  const kind = gateKind(spec);
  const mod = kindModule(kind);
  const defFail = mod.defaultFail?.(spec);
  const defWarn = mod.defaultWarn?.(spec);
  const fail = spec.fail ?? (defFail ? [parseThreshold(defFail)!] : []);
  const mode = effectiveMode(planMode, spec.mode);
  return {
    spec,
    stageId,
    kind,
    fail,
    warn: spec.warn ?? (defWarn ? [parseThreshold(defWarn)!] : []),
    mode,
    state: mode === 'off' ? 'off' : 'no data',
    since: now,
    value: null,
    display: '–',
    why: mode === 'off' ? 'mode off' : 'not evaluated yet',
    consecutiveBreaches: 0,
    consecutiveErrors: 0,
    history: [],
  };
}

/** A gate's own mode overrides the plan's. */
export function effectiveMode(planMode: Mode, gateMode: Mode | undefined): Mode {
  return gateMode ?? planMode;
}

/** onFail after mode: in `warn` mode every gate only alerts. */
export function effectiveOnFail(rt: Pick<GateRuntime, 'spec' | 'mode'>): OnFail {
  return rt.mode === 'enforce' ? rt.spec.onFail : 'alert';
}

/** Applies one evaluation. Returns a new runtime; the input is not modified. */
export function stepGate(prev: GateRuntime, result: CheckResult, now: number): GateRuntime {
  const rt: GateRuntime = { ...prev, lastEvaluatedAt: now, failsIn: undefined, warnings: undefined };
  if (rt.mode === 'off') return withState(rt, 'off', now, 'mode off');
  rt.judge = result.status === 'value' || result.status === 'no data' ? result.judge : undefined;

  if (result.status === 'error' || result.status === 'no data') {
    rt.value = null;
    rt.display = result.status;
    rt.parts = result.parts;
    rt.consecutiveErrors = result.status === 'error' ? prev.consecutiveErrors + 1 : 0;
    const limit = errorLimitOf(rt.spec);
    const errors = result.status === 'error' && rt.consecutiveErrors > 1 ? ` (${rt.consecutiveErrors} errors in a row${rt.consecutiveErrors >= limit ? `, limit ${limit} reached: on error ${rt.spec.onError ?? 'hold'}` : ''})` : '';
    return record(withState(rt, result.status, now, `${result.reason}${errors}${heldBreach(rt, now)}`), now);
  }
  rt.consecutiveErrors = 0;

  if (result.status === 'clear') {
    rt.value = null;
    rt.display = '–';
    rt.parts = result.parts;
    resetBreach(rt);
    rt.condition = 'ok';
    const fails = rt.fail.map((t) => describeThreshold(t, rt.baseline, fmtOf(rt))).join(' or ');
    return record(withState(rt, 'ok', now, [result.note, fails ? `fails if ${fails}` : ''].filter(Boolean).join('; ')), now);
  }

  rt.value = result.value;
  rt.display = displayValue(result.value, rt.spec.unit);
  rt.parts = result.parts;
  if (typeof result.value === 'number' && Number.isFinite(result.value) && rt.firstValue === undefined && !rt.awaitBaseline) rt.firstValue = result.value;
  // A baseline the check measured wins; a configured one that could not be had this time keeps the last;
  // without a baseline spec, relative thresholds compare with the first good value of the window.
  rt.baseline = result.baseline ?? (rt.spec.baseline ? (prev.baseline ?? rt.spec.baseline.value) : rt.firstValue);

  const settle = kindModule(rt.kind).settle;
  if (settle) {
    // A kind whose value alone says where it stands (a sign-off): no threshold, no breach.
    resetBreach(rt);
    const s = settle(result.value, result.note);
    rt.condition = s.condition;
    return record(withState(rt, s.condition, now, s.why), now);
  }

  const fmt = fmtOf(rt);
  const failText = () => rt.fail.map((t) => describeThreshold(t, rt.baseline, fmt)).join(' or ');
  const failVerdict = verdict(rt.fail, result.value, rt.baseline, fmt);
  if (failVerdict.undecided && !failVerdict.breach) {
    // Could not compare (no baseline yet, a value of the wrong type): no data, which keeps a breach held.
    return record(withState(rt, 'no data', now, `${failVerdict.reason}${heldBreach(rt, now)}`), now);
  }
  // Prometheus warnings (a partial answer) are part of why the gate is what it is.
  const noteText = [result.note, result.warnings?.length ? `Prometheus warning: ${result.warnings.join('; ')}` : ''].filter(Boolean).join('; ');
  rt.warnings = result.warnings?.length ? result.warnings : undefined;
  const note = noteText ? ` (${noteText})` : '';
  if (failVerdict.breach) {
    rt.consecutiveBreaches = prev.consecutiveBreaches + 1;
    rt.breachSince = prev.breachSince ?? now;
    const held = now - rt.breachSince;
    const cond = `${rt.display} ${failVerdict.matched}`;
    if (rt.spec.for !== undefined && held < rt.spec.for) {
      rt.failsIn = { ms: rt.spec.for - held };
      rt.condition = 'pending';
      return record(withState(rt, 'pending', now, `${cond} for ${heldFor(held)} of ${formatDuration(rt.spec.for)}${note}`), now);
    }
    if (rt.spec.forProbes !== undefined && rt.consecutiveBreaches < rt.spec.forProbes) {
      rt.failsIn = { probes: rt.spec.forProbes - rt.consecutiveBreaches };
      rt.condition = 'pending';
      return record(withState(rt, 'pending', now, `${cond}, ${rt.consecutiveBreaches} of ${rt.spec.forProbes} probes${note}`), now);
    }
    const span = rt.spec.for !== undefined ? ` for ${formatDuration(held)}` : rt.spec.forProbes !== undefined ? ` for ${rt.consecutiveBreaches} probes` : '';
    rt.condition = 'failing';
    return record(withState(rt, 'failing', now, `${cond}${span}${note}`), now);
  }
  resetBreach(rt);
  if (result.building) {
    // Not a breach yet, but one is building (a node failed fewer probes in a row than the gate needs): never ok.
    rt.condition = 'pending';
    return record(withState(rt, 'pending', now, `${result.building}${note}`), now);
  }
  const warnVerdict = verdict(rt.warn, result.value, rt.baseline, fmt);
  if (warnVerdict.breach) {
    rt.condition = 'warn';
    return record(withState(rt, 'warn', now, `${rt.display} ${warnVerdict.matched} (warn band), fails if ${failText()}${note}`), now);
  }
  rt.condition = 'ok';
  const fails = failText();
  const okWhy = [noteText, fails ? `fails if ${fails}` : ''].filter(Boolean).join('; ');
  return record(withState(rt, 'ok', now, okWhy || rt.display), now);
}

interface Verdict {
  breach: boolean;
  /** Some threshold could not be decided (no baseline, NaN, type mismatch). */
  undecided: boolean;
  matched: string;
  reason: string;
}

function verdict(thresholds: Threshold[], value: Value, baseline: number | undefined, fmt?: (v: number) => string): Verdict {
  const reasons: string[] = [];
  let undecided = false;
  for (const t of thresholds) {
    const b = breaches(t, value, baseline);
    if (b === true) return { breach: true, undecided, matched: describeThreshold(t, baseline, fmt), reason: '' };
    if (b === undefined) {
      undecided = true;
      reasons.push(t.relative && baseline === undefined ? `${t.text} needs a baseline; none yet` : `cannot compare ${displayValue(value)} with ${t.text}`);
    }
  }
  return { breach: false, undecided, matched: '', reason: reasons.join('; ') };
}

/** " — breach held 40s of 1m, kept through it": what an error or no-data evaluation did not reset. */
function heldBreach(rt: GateRuntime, now: number): string {
  if (rt.breachSince === undefined) return '';
  const held = now - rt.breachSince;
  if (rt.spec.for !== undefined) rt.failsIn = { ms: Math.max(0, rt.spec.for - held) };
  const of = rt.spec.for !== undefined ? ` of ${formatDuration(rt.spec.for)}` : rt.spec.forProbes !== undefined ? ` (${rt.consecutiveBreaches} of ${rt.spec.forProbes} probes)` : '';
  return ` — ${rt.condition ?? 'breach'} kept: breach held ${heldFor(held)}${of}`;
}

/** How long a breach has held, in whole seconds rounded down: 5.8 s of a 6 s `for` is "5s of 6s", never "6s of 6s" while pending. */
function heldFor(ms: number): string {
  return formatDuration(ms < 1_000 ? ms : ms - (ms % 1_000));
}

export function errorLimitOf(spec: GateSpec): number {
  return spec.errorLimit ?? DEFAULT_ERROR_LIMIT;
}

/** The gate has errored `errorLimit` times in a row: its `onError` applies. */
export function errorLimitReached(rt: Pick<GateRuntime, 'spec' | 'state' | 'consecutiveErrors'>): boolean {
  return rt.state === 'error' && rt.consecutiveErrors >= errorLimitOf(rt.spec);
}

function resetBreach(rt: GateRuntime): void {
  rt.breachSince = undefined;
  rt.consecutiveBreaches = 0;
}

function withState(rt: GateRuntime, state: GateState, now: number, why: string): GateRuntime {
  if (rt.state !== state) rt.since = now;
  rt.state = state;
  rt.why = why;
  return rt;
}

function record(rt: GateRuntime, now: number): GateRuntime {
  const sample: GateSample = { at: now, value: numeric(rt.value), raw: rt.value, state: rt.state };
  rt.history = rt.history.length >= HISTORY_LIMIT ? [...rt.history.slice(1 - HISTORY_LIMIT), sample] : [...rt.history, sample];
  return rt;
}

export function numeric(v: Value | null): number | null {
  if (v === null) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v === '' ? 0 : 1;
}

export function displayValue(v: Value | null, unit?: Unit): string {
  if (v === null) return '–';
  if (typeof v === 'number') return formatWithUnit(v, unit);
  if (typeof v === 'boolean') return String(v);
  return v === '' ? '""' : v.length > 40 ? `"${v.slice(0, 37)}…"` : `"${v}"`;
}

/** True when this gate stops promotion. */
export function gateBlocks(rt: GateRuntime): boolean {
  const onFail = effectiveOnFail(rt);
  if (onFail === 'alert' || rt.state === 'off') return false;
  if (rt.state === 'failing' || rt.state === 'pending') return true;
  // An error is `error` for promotion at once: noData says what an empty answer means, not a failed one.
  if (rt.state === 'error') return true;
  if (rt.state === 'no data') {
    // A breach held through the gap, or errors past the limit (onError hold), block whatever noData says.
    if (rt.condition === 'failing' || rt.condition === 'pending' || errorLimitReached(rt)) return true;
    return rt.spec.noData !== 'pass';
  }
  return false;
}

export function toGateView(rt: GateRuntime): GateView {
  return {
    id: rt.spec.id,
    stageId: rt.stageId,
    kind: rt.kind,
    title: rt.spec.title ?? rt.spec.id,
    subject: gateSubject(rt.spec),
    state: rt.state,
    since: rt.since,
    value: rt.value,
    display: rt.display,
    fail: rt.fail.map((t) => describeThreshold(t, rt.baseline, fmtOf(rt))),
    warn: rt.warn.map((t) => describeThreshold(t, rt.baseline, fmtOf(rt))),
    baseline: rt.baseline,
    why: rt.why,
    onFail: effectiveOnFail(rt),
    mode: rt.mode,
    failsIn: rt.failsIn,
    breachSince: rt.breachSince,
    consecutiveBreaches: rt.consecutiveBreaches,
    condition: rt.condition,
    consecutiveErrors: rt.consecutiveErrors,
    warnings: rt.warnings,
    blocks: gateBlocks(rt),
    history: rt.history,
    parts: rt.parts,
    lastEvaluatedAt: rt.lastEvaluatedAt,
    signoff: rt.signoff,
    judge: rt.judge,
  };
}

/** The query, command, path or alert name the gate checks, as its kind describes it. */
export function gateSubject(g: GateSpec): string {
  return kindModule(gateKind(g)).describe(g);
}

function fmtOf(rt: GateRuntime): ((v: number) => string) | undefined {
  const unit = rt.spec.unit;
  return unit ? (v: number) => formatWithUnit(v, unit) : undefined;
}
