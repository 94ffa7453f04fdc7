/**
 * One way to write a gate's value, threshold and condition, for every
 * surface that shows them: the cockpit's panels, header, dialogs and
 * details, `check`, and the report. Thresholds come from the gate view
 * (already in the gate's unit), never from the plan's raw text, so a value
 * and its threshold always share a unit ("15.2% > 2%", never "15.2% (> 0.02)").
 */
import { formatDuration } from '../duration.js';
import type { Blocker, GateView, PromotionBlocker, Value } from '../engine/types.js';
import { formatNumber } from '../plan/threshold.js';
import { formatWithUnit, type Unit } from '../plan/units.js';

/** The fields of a gate these functions read (a GateView has them all). */
export type GateFacts = Pick<GateView, 'id' | 'kind' | 'state' | 'value' | 'display' | 'fail' | 'warn' | 'signoff'>;

// CSI/OSC sequences first, then any other control character.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-_]|\u009b[0-?]*[ -/]*[@-~]/g;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]+/g;

/**
 * Text from outside (node errors, alert summaries, action output) made safe for
 * one terminal line: escape sequences dropped, control characters and line
 * breaks turned into single spaces.
 */
export function sanitize(text: string): string {
  return text.replace(ESCAPES, '').replace(CONTROLS, ' ').replace(/ {2,}/g, ' ').trim();
}

/** A bare value (no unit known); `missing` for null. */
export function formatValue(v: Value | null | undefined, missing = '-'): string {
  if (v === null || v === undefined) return missing;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  const s = sanitize(v);
  return s === '' ? '""' : s;
}

/** An elapsed time, never negative: 252000 -> "4m12s". */
export function formatAge(ms: number): string {
  return formatDuration(Math.max(0, ms));
}

/** A remaining time; "0s" once it has passed. */
export function formatRemaining(ms: number): string {
  return formatDuration(Math.max(0, ms));
}

/**
 * An age that changes rarely, for per-row "since" columns: seconds in steps
 * of 10 under a minute, whole minutes under an hour, then hours and minutes.
 * A steady screen then repaints a row's age once every 10 s at most.
 */
export function formatCoarseAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 10) return '<10s';
  if (s < 60) return `${Math.floor(s / 10) * 10}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  return `${Math.floor(h / 24)}d${h % 24 ? `${h % 24}h` : ''}`;
}

/** "a alert" -> "an alert". */
export function withArticle(word: string): string {
  return `${/^[aeiou]/i.test(word) ? 'an' : 'a'} ${word}`;
}

/** The value as every surface shows it: in the gate's unit; a manual gate's is its sign-off. */
export function gateValueText(g: GateFacts): string {
  if (g.kind === 'manual') return g.signoff ? `signed off by ${sanitize(g.signoff.operator)}` : g.value === true ? 'signed off' : 'awaiting sign-off';
  if (g.value === null || g.value === undefined) return g.display && g.display !== '–' ? sanitize(g.display) : g.state === 'error' ? 'error' : 'no data';
  return sanitize(g.display || formatValue(g.value));
}

/** Short form of the value for a narrow cell: a manual gate's is "signed" / "awaiting". */
export function gateValueCell(g: GateFacts): string {
  if (g.kind === 'manual') return g.signoff || g.value === true ? 'signed' : 'awaiting';
  return gateValueText(g);
}

/** The failing threshold(s) in the gate's unit ("> 2%"), with the warn band when asked; "sign-off" for manual gates. */
export function gateThresholdText(g: GateFacts, opts: { warnBand?: boolean; none?: string } = {}): string {
  if (g.kind === 'manual') return 'sign-off';
  // (Every gate row at every frame: no intermediate arrays for the usual one threshold.)
  const f = eitherOf(g.fail);
  const w = opts.warnBand && g.warn.length ? `warn ${eitherOf(g.warn)}` : '';
  if (!f && !w) return opts.none ?? '-';
  return f && w ? `${f} | ${w}` : f || w;
}

/** Thresholds sanitised, joined by "or". */
const eitherOf = (xs: readonly string[]): string => (xs.length === 1 ? sanitize(xs[0]!) : xs.map(sanitize).join(' or '));

/** Value against its threshold: "15.2% > 2%", "awaiting sign-off", "no data". */
export function gateConditionText(g: GateFacts): string {
  if (g.kind === 'manual') return gateValueText(g);
  const v = gateValueText(g);
  if (g.value === null || g.value === undefined) return v;
  const thr = g.fail.map(sanitize).join(' or ');
  if (!thr) return v;
  return g.state === 'failing' || g.state === 'pending' ? `${v} ${thr}` : `${v}, fails if ${thr}`;
}

/**
 * A blocker of promotion in the words of its gate: "error-rate failing:
 * 15.2% > 2%". The gate view (when given) supplies the unit-formatted
 * threshold; the blocker's own text is the fallback.
 */
export function blockerText(b: Blocker, gates: readonly GateFacts[] = []): string {
  return `${blockerWords(b, gates)}${nodesText(b.nodes)}`;
}

function blockerWords(b: Blocker, gates: readonly GateFacts[]): string {
  const g = gates.find((x) => x.id === b.gateId);
  if (g) {
    const cond = gateConditionText(g);
    return cond === g.state ? `${sanitize(b.gateId)} ${g.state}` : `${sanitize(b.gateId)} ${g.state}: ${cond}`;
  }
  const thr = b.threshold ? ` ${sanitize(b.threshold)}` : '';
  return `${sanitize(b.gateId)} ${b.state}: ${sanitize(b.display)}${thr}`;
}

/** " on checkout-2, checkout-5": the nodes a gate blocks on (at most three named). */
function nodesText(nodes: readonly string[] | undefined): string {
  if (!nodes?.length) return '';
  const named = nodes.slice(0, 3).map(sanitize).join(', ');
  return ` on ${named}${nodes.length > 3 ? ` and ${nodes.length - 3} more` : ''}`;
}

/** What a stage.promotable event says blocks: "bake 4m left, health (on web-2)". */
export function promotionBlockersText(blockers: readonly PromotionBlocker[]): string {
  return blockers.map((b) => (b.kind === 'bake' ? `bake ${b.left} left` : `${sanitize(b.id)}${b.nodes?.length ? ` (${nodesText(b.nodes).slice(1)})` : ''}`)).join(', ');
}

/** Why `s` cannot sign off this gate: "error-rate is a query gate; s signs off manual gates". */
export function notManualText(g: Pick<GateView, 'id' | 'kind'>): string {
  return `${sanitize(g.id)} is ${withArticle(g.kind)} gate; only manual gates take a sign-off`;
}

/**
 * The gate's unit, read back from its own value and display (the view keeps
 * the formatted display, not the plan's unit): so a raw sample of the same
 * gate prints in the same unit as its value ("0.393%", not "0.0039").
 */
export function unitOf(g: Pick<GateView, 'value' | 'display'>): Unit | undefined {
  if (typeof g.value !== 'number' || !Number.isFinite(g.value) || g.value === 0) return undefined;
  for (const u of ['ratio', 'percent', 'ms', 'seconds', 'bytes'] as const) if (formatWithUnit(g.value, u) === g.display) return u;
  return undefined;
}

/** A sample (or any other number of this gate) in the gate's unit. */
export function gateNumberText(g: Pick<GateView, 'value' | 'display'>, v: Value | null | undefined): string {
  if (typeof v !== 'number') return formatValue(v);
  const u = unitOf(g);
  return u ? formatWithUnit(v, u) : formatValue(v);
}

/**
 * A remaining time that changes rarely, for clocks nobody acts on to the
 * second (bake, window, next poll): whole minutes from 2 minutes up, then
 * steps of 10 s, rounded up so it never says less than is left; under 10 s,
 * "<10s" (as ages say), not "10s": polling every second, "next in 10s" was
 * wrong at every tick.
 */
export function formatCoarseRemaining(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s === 0) return '0s';
  if (s < 10) return '<10s';
  if (s >= 3600) {
    const m = Math.ceil(s / 60);
    return `${Math.floor(m / 60)}h${m % 60 ? `${m % 60}m` : ''}`;
  }
  if (s >= 120) return `${Math.ceil(s / 60)}m`;
  const t = Math.ceil(s / 10) * 10;
  return t >= 60 ? `${Math.floor(t / 60)}m${t % 60 ? `${t % 60}s` : ''}` : `${t}s`;
}
