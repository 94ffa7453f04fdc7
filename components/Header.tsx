/** Header: where the rollout stands and how fresh the picture is. Two lines, three while an action runs. */
import React from 'react';
import type { EngineState, StageView } from '../src/engine/types.js';
import type { CockpitExtras } from '../src/ui-contract.js';
import { formatAge, formatClock, formatRemaining, sanitize } from './format.js';
import { Lines, line, seg, type LineSpec, type Seg } from './Line.js';
import type { Theme } from './theme.js';
import { useTheme } from './ThemeContext.js';

export interface HeaderProps {
  state: EngineState;
  now: number;
  extras: CockpitExtras;
  readonly: boolean;
  frozenAt: number | null;
  width: number;
  utc?: boolean;
}

export function headerHeight(extras: CockpitExtras): number {
  return extras.action ? 3 : 2;
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

export function headerLines(p: HeaderProps, theme: Theme): LineSpec[] {
  const { state, now } = p;
  const g = theme.glyphs;
  const sep = seg(g.sep, 'muted');
  const stage = currentStage(state);

  const l1: Array<Seg | undefined> = [];
  if (p.extras.banner) l1.push(seg(` ${sanitize(p.extras.banner)} `, 'badge'), seg(' '));
  if (p.readonly) l1.push(seg(' READ-ONLY ', 'badge'), seg(' '));
  if (p.frozenAt !== null) l1.push(seg(` FROZEN ${formatClock(p.frozenAt, p.utc)} `, 'badge'), seg(' '));
  l1.push(seg(sanitize(state.service), 'title'), seg(` ${sanitize(state.environment)}`, 'accent'), sep);
  if (stage) {
    const narrow = p.width < 100;
    l1.push(seg(`${narrow ? '' : 'stage '}${stage.index + 1}/${state.stages.length} `, 'text'), seg(sanitize(stage.id), 'title'));
    if (state.rolledBack || stage.status === 'rolled back') l1.push(seg(' ROLLED BACK', 'danger'));
    if (stage.enteredAt !== undefined) {
      const age = formatAge(now - stage.enteredAt);
      l1.push(narrow ? seg(` ${age}`, 'text') : sep, narrow ? undefined : seg(`${age} in stage`, 'text'));
    }
    const left = bakeLeft(stage, now, state.now);
    if (stage.bakeMs > 0 && left !== undefined) l1.push(sep, left > 0 ? seg(`bake ${formatRemaining(left)} left`, 'pending') : seg('baked', 'ok'));
  } else {
    l1.push(seg('no stage', 'muted'));
  }
  const windowLeft = state.polling.windowEnd - now;
  l1.push(sep, windowLeft > 0 ? seg(`window ${formatRemaining(windowLeft)} left`, 'text') : seg('window over', 'warn'));

  const pl = state.polling;
  const l2: Seg[] = [seg('poll ', 'muted'), seg(sanitize(pl.label), pl.hot ? 'pending' : 'text'), seg(g.dot, 'muted')];
  if (pl.inFlight) l2.push(seg(`${g.spinner} polling`, 'accent'));
  else if (pl.nextPollAt !== undefined) l2.push(seg(`next in ${formatRemaining(pl.nextPollAt - now)}`, 'text'));
  else l2.push(seg('no poll scheduled', 'muted'));
  l2.push(seg(g.dot, 'muted'));
  if (pl.lastSuccessAt !== undefined) {
    const age = now - pl.lastSuccessAt;
    l2.push(seg(`last ok ${formatAge(age)} ago`, age > Math.max(3 * pl.intervalMs, 60_000) ? 'warn' : 'text'));
  } else l2.push(seg('no successful poll yet', 'warn'));
  l2.push(sep);
  const prom = state.prometheus;
  if (!prom.configured) l2.push(seg('prom n/a', 'muted'));
  else if (prom.status === 'up') l2.push(seg('prom up', 'ok'));
  else if (prom.status === 'down') l2.push(seg(`prom DOWN${prom.lastError ? `: ${sanitize(prom.lastError)}` : ''}`, 'failing'));
  else l2.push(seg('prom ?', 'noData'));
  const notes = p.extras.notifications;
  if (notes && notes.undelivered > 0) {
    l2.push(sep, seg(`notify: ${notes.undelivered} undelivered${notes.lastError ? ` (${sanitize(notes.lastError)})` : ''}`, 'warn'));
  } else if (notes?.lastError) {
    l2.push(sep, seg(`notify: ${sanitize(notes.lastError)}`, 'warn'));
  }

  const out = [line(...l1), line(...l2)];
  const a = p.extras.action;
  if (a) {
    const kind = sanitize(a.kind);
    const tok = /rollback/i.test(kind) ? 'danger' : 'accent';
    out.push(
      line(
        seg(`${g.spinner} ${kind.toUpperCase()} running`, tok),
        seg(` by ${sanitize(a.operator)} for ${formatAge(now - a.startedAt)}`, 'text'),
        a.lastLine ? seg(`: ${sanitize(a.lastLine)}`, 'muted') : undefined,
      ),
    );
  }
  return out;
}

export function Header(p: HeaderProps) {
  const theme = useTheme();
  const lines = headerLines(p, theme);
  return <Lines lines={lines} width={p.width} height={lines.length} />;
}
