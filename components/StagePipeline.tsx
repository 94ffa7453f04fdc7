/**
 * Stage pipeline: every stage in order, then what the current one can do —
 * in the words of the one status derivation (src/present/rollout-status.ts)
 * the header and dialogs use: never PROMOTABLE while an action runs or after
 * a rollback, "ROLLOUT COMPLETE" at the final stage.
 */
import React from 'react';
import type { EngineState, StageView } from '../src/engine/types.js';
import { currentStage, type RolloutStatus } from '../src/present/rollout-status.js';
import { blockerText, formatCoarseRemaining } from '../src/present/values.js';
import { formatClock, formatCoarseAge, sanitize, textWidth } from './format.js';
import { Lines, line, seg, type LineSpec, type Seg } from './Line.js';
import { stateToken, type Theme, type Token } from './theme.js';
import { useTheme } from './ThemeContext.js';

export interface StagePipelineProps {
  state: EngineState;
  now: number;
  readonly: boolean;
  width: number;
  /** Where the rollout stands (the header's, derived once per frame). */
  status: RolloutStatus;
  utc?: boolean;
}

function stageSegs(s: StageView, rolledBack: boolean, theme: Theme): Seg {
  const g = theme.glyphs.stage;
  const status = s.status === 'current' && rolledBack ? 'rolled back' : s.status;
  const glyph = status === 'done' ? g.done : status === 'current' ? g.current : status === 'rolled back' ? g.rolledBack : g.next;
  const tok: Token = status === 'done' ? 'ok' : status === 'current' ? 'title' : status === 'rolled back' ? 'danger' : 'muted';
  return seg(`${glyph} ${sanitize(s.id)}`, tok);
}

/** The stages joined by arrows; when too wide, the oldest done stages give way (the current one stays). */
export function pipelineLine(state: EngineState, width: number, theme: Theme): LineSpec {
  const arrow = ` ${theme.glyphs.arrow} `;
  const parts = state.stages.map((s) => stageSegs(s, state.rolledBack, theme));
  const cur = Math.max(0, state.stages.findIndex((s) => s.status === 'current' || s.status === 'rolled back'));
  let from = 0;
  const widthFrom = (i: number) => parts.slice(i).reduce((n, p) => n + textWidth(p.text), 0) + (parts.length - i - 1) * textWidth(arrow) + (i > 0 ? 2 : 0);
  while (from < cur && widthFrom(from) > width) from++;
  const segs: Seg[] = [];
  if (from > 0) segs.push(seg(`${theme.glyphs.ellipsis} `, 'muted'));
  parts.slice(from).forEach((p, i) => {
    if (i > 0) segs.push(seg(arrow, 'muted'));
    segs.push(p);
  });
  return line(...segs);
}

export function promotionLine(p: StagePipelineProps, theme: Theme): LineSpec {
  const { state, now } = p;
  const stage = currentStage(state);
  if (!stage) return line(seg('no current stage', 'muted'));
  const st = p.status;
  const dot = seg(theme.glyphs.dot, 'muted');
  const segs: Seg[] = [];
  const nextId = state.stages[stage.index + 1]?.id;
  switch (st.word) {
    case 'rolling back':
      return line(seg('ROLLING BACK', 'rollback'), seg(` ${sanitize(stage.id)}: promotion stopped while the rollback runs`, 'danger'));
    case 'rolled back': {
      const rb = st.rolledBack!;
      const when = rb.at !== undefined ? ` at ${formatClock(rb.at, p.utc)} (${formatCoarseAge(now - rb.at)} ago)` : '';
      const why = rb.reason ? `: ${rb.auto && !/^auto/i.test(rb.reason) ? 'automatic, ' : ''}${rb.gateId && !rb.reason.includes(rb.gateId) ? `${sanitize(rb.gateId)} ` : ''}${rb.reason}` : '';
      return line(seg('ROLLED BACK', 'rollback'), seg(` ${sanitize(stage.id)}${when}${why}`, 'danger'), seg('; promotion stopped', 'muted'));
    }
    case 'promoting':
      return line(seg('PROMOTING', 'accent'), seg(` ${sanitize(stage.id)}${nextId ? ` ${theme.glyphs.arrow} ${sanitize(nextId)}` : ''}`, 'text'));
    case 'rollout complete':
      return line(seg('ROLLOUT COMPLETE', 'ok'), seg(` ${sanitize(stage.id)} is the final stage: baked, nothing blocks`, 'muted'));
    case 'promotable':
      segs.push(seg('PROMOTABLE', 'ok'), seg(` to ${sanitize(nextId ?? '')}`, 'text'));
      if (!stage.hasPromote) segs.push(seg(' (the plan has no promote action for this stage: promote outside Flightdeck)', 'muted'));
      else if (!p.readonly) segs.push(seg(' p to promote', 'muted'));
      break;
    default: {
      segs.push(seg(st.final ? 'FINAL STAGE' : 'NOT PROMOTABLE', st.final ? 'pending' : 'danger'));
      const left = st.bakeLeftMs;
      if (left !== undefined && left > 0) segs.push(seg(': ', 'muted'), seg(`bake ${formatCoarseRemaining(left)} left`, 'pending'));
      if (stage.blockers.length > 0) {
        segs.push(seg(`${left !== undefined && left > 0 ? ';' : ':'} blocked by ${stage.blockers.length}: `, 'muted'));
        // Narrow: the gate ids (the gates panel has the values); wide: in the gates' own words.
        const full = p.width >= 120;
        stage.blockers.forEach((b, i) => {
          if (i > 0) segs.push(seg(', ', 'muted'));
          segs.push(seg(full ? blockerText(b, state.gates) : sanitize(b.gateId), stateToken(b.state)));
        });
      } else if (!(left !== undefined && left > 0)) {
        segs.push(seg(': waiting for the next evaluation', 'muted'));
      }
    }
  }
  if (stage.cautions.length > 0) segs.push(dot, seg(`caution: ${stage.cautions.map(sanitize).join(', ')}`, 'warn'));
  return line(...segs);
}

export function stageLines(p: StagePipelineProps, theme: Theme): LineSpec[] {
  return [pipelineLine(p.state, p.width, theme), promotionLine(p, theme)];
}

export function StagePipeline(p: StagePipelineProps) {
  const theme = useTheme();
  return <Lines lines={stageLines(p, theme)} width={p.width} height={2} />;
}
