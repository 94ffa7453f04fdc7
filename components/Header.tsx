/**
 * Header, two lines, always live (a frozen screen freezes the panels, never
 * these): the status line — stage, its word, the action running or the
 * rollback that happened, and the next thing the guard does on its own with
 * its countdown — and the polling line. When the width runs short the
 * status line drops its least needed parts first; the countdown and its
 * reason go last.
 */
import React from 'react';
import type { EngineEvent, EngineState } from '../src/engine/types.js';
import { nextAutomaticHead, type RolloutStatus } from '../src/present/rollout-status.js';
import type { CockpitExtras } from '../src/ui-contract.js';
import { formatEvent } from './activity.js';
import { formatCoarseRemaining } from '../src/present/values.js';
import { formatAge, formatClock, formatCoarseAge, formatRemaining, sanitize, textWidth } from './format.js';
import { Lines, line, seg, type LineSpec, type Seg } from './Line.js';
import type { Theme } from './theme.js';
import { useTheme } from './ThemeContext.js';

export { bakeLeft, currentStage } from '../src/present/rollout-status.js';

export interface HeaderProps {
  /** The live state (also while frozen). */
  state: EngineState;
  now: number;
  /** Where the rollout stands: derived once per frame by the cockpit, shared with the pipeline and dialogs. */
  status: RolloutStatus;
  extras: CockpitExtras;
  readonly: boolean;
  /** While frozen or viewing a past poll: the shown snapshot's state and display time. */
  frozen?: { state: EngineState; now: number } | null;
  /** The shown snapshot is a past poll stepped to with [ ]: how many kept polls are newer, of how many kept. */
  past?: { back: number; kept: number };
  width: number;
  utc?: boolean;
}

export function headerHeight(_extras?: CockpitExtras): number {
  return 2;
}

/** A part of a line that may be left out when the line is too long; lower `drop` goes first. */
export interface Part {
  segs: Seg[];
  /** Infinity: never dropped (cut at the end as a last resort). */
  drop: number;
  /** Said shorter instead of left out when its turn to go comes; the short form then goes at its own `drop`. */
  short?: { segs: Seg[]; drop: number };
}

/** Leaves out parts (or says them short), least needed first, until the line fits `width` or one part is left (cut by the row); the separator goes with its part. */
export function fitParts(parts: readonly Part[], width: number, sep: Seg): Seg[] {
  const kept = parts.filter((p) => p.segs.length > 0).map((p) => ({ ...p }));
  const w = (ps: typeof kept) => ps.reduce((n, p, i) => n + p.segs.reduce((m, s) => m + textWidth(s.text), 0) + (i > 0 ? textWidth(sep.text) : 0), 0);
  // The last part left stays, cut at the width by the row: a line is never emptied (a long "prom DOWN" error was).
  while (w(kept) > width && kept.length > 1) {
    let idx = -1;
    for (let i = 0; i < kept.length; i++) if (Number.isFinite(kept[i]!.drop) && (idx < 0 || kept[i]!.drop <= kept[idx]!.drop)) idx = i;
    if (idx < 0) break;
    const p = kept[idx]!;
    if (p.short) kept[idx] = p.short;
    else kept.splice(idx, 1);
  }
  const out: Seg[] = [];
  kept.forEach((p, i) => {
    if (i > 0) out.push(sep);
    out.push(...p.segs);
  });
  return out;
}

const STAGE_WORD_TOKEN = {
  promoting: 'accent',
  'rolling back': 'rollback',
  'rolled back': 'rollback',
  'rollout complete': 'ok',
  promotable: 'ok',
  baking: 'pending',
  blocked: 'danger',
  waiting: 'muted',
} as const;

/** A rollback the guard will not do, said short as "roll back by hand (auto-rollback withheld)": the instruction first, never left out. */
const byHandFirst = (byHand: string | undefined): Part['short'] => (byHand ? { segs: [seg(`roll back by hand (${byHand})`, 'warn')], drop: Infinity } : undefined);

/** The status line's parts, most needed kept longest. */
export function statusParts(st: RolloutStatus, p: Pick<HeaderProps, 'state' | 'now' | 'extras' | 'readonly' | 'frozen' | 'past' | 'utc' | 'width'>, theme: Theme): Part[] {
  const { state, now } = p;
  const g = theme.glyphs;
  const parts: Part[] = [];
  const badges: Seg[] = [];
  // A past poll's banner leads the second line; a freeze is badged here.
  if (p.frozen && !p.past) badges.push(seg(` FROZEN ${formatClock(p.frozen.now, p.utc)} `, 'badge'));
  if (p.readonly) badges.push(seg(' READ-ONLY ', 'badge'));
  if (badges.length) parts.push({ segs: badges.flatMap((b, i) => (i ? [seg(' '), b] : [b])), drop: 95 });
  parts.push({ segs: [seg(sanitize(state.service), 'title'), seg(` ${sanitize(state.environment)}`, 'accent')], drop: 5 });
  if (st.stage) {
    parts.push({
      segs: [seg(`${st.stage.index + 1}/${st.stage.count} `, 'text'), seg(sanitize(st.stage.id), 'title'), seg(` ${st.word.toUpperCase()}`, STAGE_WORD_TOKEN[st.word])],
      drop: 90,
    });
  } else parts.push({ segs: [seg('no stage', 'muted')], drop: 90 });
  if (st.running) {
    const r = st.running;
    const name = `${r.auto ? 'AUTO-' : ''}${r.action.toUpperCase()}`;
    parts.push({ segs: [seg(`${g.spinner} ${name} running`, r.action === 'rollback' ? 'danger' : 'accent'), seg(` ${formatAge(now - r.startedAt)}`, 'text')], drop: Infinity });
    parts.push({ segs: [seg(`by ${sanitize(r.operator)}`, 'text')], drop: 60 });
    if (r.lastLine) parts.push({ segs: [seg(sanitize(r.lastLine), 'muted')], drop: 12 });
  } else if (st.rolledBack) {
    const rb = st.rolledBack;
    const when = rb.at !== undefined ? ` ${formatClock(rb.at, p.utc)} (${formatCoarseAge(now - rb.at)} ago)` : '';
    if (when) parts.push({ segs: [seg(`at${when}`, 'danger')], drop: 70 });
    if (rb.reason || rb.gateId) {
      const reason = rb.reason ?? '';
      const text = `${rb.auto && !/^auto/i.test(reason) ? 'auto: ' : ''}${rb.gateId && !reason.includes(rb.gateId) ? `${sanitize(rb.gateId)} ` : ''}${reason}`.trim();
      parts.push({ segs: [seg(text, 'muted')], drop: 10 });
    }
  }
  if (st.next) {
    const n = st.next;
    parts.push({
      segs: [seg(nextAutomaticHead(n, formatRemaining), 'rollback'), seg(`: ${n.reason}`, 'danger')],
      drop: Infinity,
    });
    // An automatic rollback that will not come says so at any width: "roll back by hand" first when short of room.
    if (n.disabled) parts.push({ segs: [seg(n.disabled, 'warn')], drop: 40, short: byHandFirst(n.byHand) });
  }
  if (st.stage) {
    const left = st.bakeLeftMs;
    const stage = state.stages[st.stage.index];
    if (stage && stage.enteredAt !== undefined) parts.push({ segs: [seg(`${formatCoarseAge(now - stage.enteredAt)} in stage`, 'text')], drop: 3 });
    if (stage && stage.bakeMs > 0 && left !== undefined && !st.rolledBack) parts.push({ segs: [left > 0 ? seg(`bake ${formatCoarseRemaining(left)} left`, 'pending') : seg('baked', 'ok')], drop: 20 });
  }
  const windowLeft = state.polling.windowEnd - now;
  parts.push({ segs: [windowLeft > 0 ? seg(`window ${formatCoarseRemaining(windowLeft)} left`, 'text') : seg('window over', 'warn')], drop: 4 });
  return parts;
}

/** Events since the freeze worth a glance; the newest critical one is named. */
const CRITICAL = (e: EngineEvent): boolean =>
  (e.type === 'gate.changed' && e.to === 'failing') ||
  e.type === 'rollback.requested' ||
  e.type === 'stage.rolled-back' ||
  (e.type === 'action.started' && e.action === 'rollback') ||
  (e.type === 'action.finished' && !e.ok) ||
  e.type === 'node.down' ||
  e.type === 'prometheus.down' ||
  (e.type === 'alert.firing' && e.severity === 'critical');

export function frozenChanges(live: EngineState, frozenState: EngineState): { count: number; critical?: EngineEvent } {
  let count = 0;
  let critical: EngineEvent | undefined;
  for (const e of live.events) {
    if (e.at <= frozenState.now || e.type === 'poll.started' || e.type === 'poll.done') continue;
    count++;
    if (CRITICAL(e)) critical = e;
  }
  return { count, critical };
}

/** The live rollout in a few words, for the banner over a past poll: "AUTO-ROLLBACK in 12s", "ROLLBACK running 8s", "canary-50 ROLLED BACK". */
export function liveWords(st: RolloutStatus, now: number): Seg {
  if (st.running) {
    const r = st.running;
    return seg(`${r.auto ? 'AUTO-' : ''}${r.action.toUpperCase()} running ${formatAge(now - r.startedAt)}`, r.action === 'rollback' ? 'danger' : 'accent');
  }
  if (st.next) return seg(nextAutomaticHead(st.next, formatRemaining), 'rollback');
  if (!st.stage) return seg('no stage', 'muted');
  return seg(`${sanitize(st.stage.id)} ${st.word.toUpperCase()}`, STAGE_WORD_TOKEN[st.word]);
}

/** The banner over a past poll: what is shown, and what goes on live meanwhile. */
function pastParts(p: HeaderProps, past: NonNullable<HeaderProps['past']>, frozen: NonNullable<HeaderProps['frozen']>, theme: Theme): Part[] {
  const g = theme.glyphs;
  const ch = frozenChanges(p.state, frozen.state);
  const crit = ch.critical ? formatEvent(ch.critical, g) : null;
  return [
    {
      segs: [seg(` VIEWING ${formatClock(frozen.now, p.utc)} (${formatCoarseAge(p.now - frozen.now)} ago) `, 'badge'), seg(`${g.dash} live: `, 'muted'), liveWords(p.status, p.now)],
      drop: Infinity,
    },
    { segs: [seg(`${ch.count} event${ch.count === 1 ? '' : 's'} since`, ch.critical ? 'danger' : 'accent')], drop: 45 },
    // The newest critical event since is long: it goes before the shorter parts when the width runs short.
    { segs: crit ? [seg(`newest critical ${formatClock(crit.at, p.utc)} ${crit.text}`, 'danger')] : [], drop: 12 },
    { segs: [seg(`poll -${past.back} of ${past.kept} kept`, 'muted')], drop: 25 },
    { segs: [seg('[ ] step, Esc live', 'muted')], drop: 15 },
  ];
}

export function headerLines(p: HeaderProps, theme: Theme): LineSpec[] {
  const { state, now } = p;
  const g = theme.glyphs;
  const sep = seg(g.sep, 'muted');
  const l1 = fitParts(statusParts(p.status, p, theme), p.width, sep);

  const l2: Part[] = [];
  // The replay's position leads the second line (the status line is the stage's).
  if (p.extras.banner) l2.push({ segs: [seg(` ${sanitize(p.extras.banner)} `, 'badge')], drop: Infinity });
  if (p.frozen && p.past) l2.push(...pastParts(p, p.past, p.frozen, theme));
  else if (p.frozen) {
    const ch = frozenChanges(state, p.frozen.state);
    const crit = ch.critical ? formatEvent(ch.critical, g) : null;
    l2.push({
      segs: [
        seg(`since frozen: ${ch.count} event${ch.count === 1 ? '' : 's'}`, ch.critical ? 'danger' : 'accent'),
        crit ? seg(`, newest critical ${formatClock(crit.at, p.utc)} ${crit.text}`, 'danger') : seg(''),
        seg(' (Z resumes)', 'muted'),
      ],
      drop: Infinity,
    });
  }
  const pl = state.polling;
  const poll: Seg[] = [seg('poll ', 'muted'), seg(sanitize(pl.label), pl.hot ? 'pending' : 'text'), seg(g.dot, 'muted')];
  if (pl.inFlight) poll.push(seg(`${g.spinner} polling`, 'accent'));
  else if (pl.nextPollAt !== undefined) poll.push(seg(`next in ${formatCoarseRemaining(pl.nextPollAt - now)}`, 'text'));
  else poll.push(seg('no poll scheduled', 'muted'));
  l2.push({ segs: poll, drop: 8 });
  if (pl.lastSuccessAt !== undefined) {
    const age = now - pl.lastSuccessAt;
    l2.push({ segs: [seg(`last ok ${formatCoarseAge(age)} ago`, age > Math.max(3 * pl.intervalMs, 60_000) ? 'warn' : 'text')], drop: age > Math.max(3 * pl.intervalMs, 60_000) ? 30 : 6 });
  } else if (pl.lastPollAt !== undefined) {
    // Polled, but never without an error (Prometheus down, a gate's source erroring): not "nothing polled".
    l2.push({ segs: [seg(`every poll with errors (last ${formatCoarseAge(now - pl.lastPollAt)} ago)`, 'warn')], drop: 30 });
  } else l2.push({ segs: [seg('no poll yet', 'warn')], drop: 30 });
  const prom = state.prometheus;
  if (!prom.configured) l2.push({ segs: [seg('prom n/a', 'muted')], drop: 2 });
  else if (prom.status === 'up') l2.push({ segs: [seg('prom up', 'ok')], drop: 7 });
  else if (prom.status === 'down') l2.push({ segs: [seg(`prom DOWN${prom.lastError ? `: ${sanitize(prom.lastError)}` : ''}`, 'failing')], drop: 40 });
  else l2.push({ segs: [seg('prom ?', 'noData')], drop: 7 });
  const notes = p.extras.notifications;
  if (notes && notes.undelivered > 0) {
    l2.push({ segs: [seg(`notify: ${notes.undelivered} undelivered${notes.lastError ? ` (${sanitize(notes.lastError)})` : ''}`, 'warn')], drop: 35 });
  } else if (notes?.lastError) {
    l2.push({ segs: [seg(`notify: ${sanitize(notes.lastError)}`, 'warn')], drop: 9 });
  }
  return [line(...l1), line(...fitParts(l2, p.width, sep))];
}

export function Header(p: HeaderProps) {
  const theme = useTheme();
  const lines = headerLines(p, theme);
  return <Lines lines={lines} width={p.width} height={lines.length} />;
}
