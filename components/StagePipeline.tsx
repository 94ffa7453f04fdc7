/** Stage pipeline: every stage in order, then whether the current one can be promoted and what blocks it. */
import React from 'react';
import type { EngineState, StageView } from '../src/engine/types.js';
import { formatRemaining, sanitize, textWidth } from './format.js';
import { bakeLeft, currentStage } from './Header.js';
import { Lines, line, seg, type LineSpec, type Seg } from './Line.js';
import { stateToken, type Theme, type Token } from './theme.js';
import { useTheme } from './ThemeContext.js';

export interface StagePipelineProps {
  state: EngineState;
  now: number;
  readonly: boolean;
  width: number;
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
  if (state.rolledBack || stage.status === 'rolled back') return line(seg('ROLLED BACK', 'rollback'), seg(` ${sanitize(stage.id)}: promotion stopped`, 'danger'));
  const dot = seg(theme.glyphs.dot, 'muted');
  const segs: Seg[] = [];
  if (stage.promotable) {
    segs.push(seg('PROMOTABLE', 'ok'));
    if (!stage.hasPromote) segs.push(seg(' (final stage)', 'muted'));
    else if (!p.readonly) segs.push(seg(' p to promote', 'muted'));
  } else {
    segs.push(seg('NOT PROMOTABLE', 'danger'));
    const left = bakeLeft(stage, now, state.now);
    if (left !== undefined && left > 0) segs.push(seg(': ', 'muted'), seg(`bake ${formatRemaining(left)} left`, 'pending'));
    if (stage.blockers.length > 0) {
      // Narrow: the gate ids by state colour (the gates panel has the values); wide: values and thresholds too.
      const full = p.width >= 120;
      segs.push(seg(`${left !== undefined && left > 0 ? ';' : ':'} blocked by${full ? '' : ` ${stage.blockers.length}`}: `, 'muted'));
      stage.blockers.forEach((b, i) => {
        if (i > 0) segs.push(seg(', ', 'muted'));
        const thr = b.threshold ? ` (${sanitize(b.threshold)})` : '';
        const shown = b.display && b.display !== b.state ? ` ${sanitize(b.display)}` : '';
        segs.push(seg(full ? `${sanitize(b.gateId)} ${b.state}${shown}${thr}` : sanitize(b.gateId), stateToken(b.state)));
      });
    } else if (!(left !== undefined && left > 0)) {
      segs.push(seg(': waiting for the next evaluation', 'muted'));
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
