/** Gate detail (Enter on a gate): exactly why it is in its state — subject, thresholds, samples, changes, parts. */
import React from 'react';
import { Box } from 'ink';
import type { EngineEvent, GateSample, GateView } from '../src/engine/types.js';
import { gateNumberText, gateThresholdText, gateValueText } from '../src/present/values.js';
import { cell, chunk, formatAge, formatClock, formatValue, sanitize } from './format.js';
import { failsInText } from './GatesPanel.js';
import { Lines, line, seg, type LineSpec, type Seg } from './Line.js';
import { panelTitle } from './PanelTitle.js';
import { stateToken, type Theme } from './theme.js';
import { useTheme } from './ThemeContext.js';
import { judgeLines } from '../src/judge/view.js';

export interface GateDetailProps {
  gateId: string;
  gate: GateView | undefined;
  events: readonly EngineEvent[];
  width: number;
  height: number;
  /** Samples scrolled from the newest. */
  scroll: number;
  wide: boolean;
  now: number;
  stateNow: number;
  utc?: boolean;
}

const LABEL = 9;
const label = (text: string): Seg => seg(text.padEnd(LABEL, ' '), 'muted');

export interface StateChange {
  at: number;
  from: string;
  to: GateView['state'];
  display: string;
  why: string;
}

/** The gate's state changes, newest first: from the engine's events, else from its sample history. */
export function stateChanges(gate: GateView, events: readonly EngineEvent[]): StateChange[] {
  const fromEvents: StateChange[] = [];
  for (const e of events) {
    if (e.type === 'gate.changed' && e.gateId === gate.id) fromEvents.push({ at: e.at, from: e.from, to: e.to, display: e.display, why: e.why });
  }
  if (fromEvents.length) return fromEvents.reverse();
  const out: StateChange[] = [];
  for (let i = 1; i < gate.history.length; i++) {
    const a = gate.history[i - 1]!;
    const b = gate.history[i]!;
    if (a.state !== b.state) out.push({ at: b.at, from: a.state, to: b.state, display: formatValue(b.raw), why: '' });
  }
  return out.reverse();
}

export function gateHeadLines(p: GateDetailProps, theme: Theme, maxLines: number): LineSpec[] {
  const g = p.gate;
  const dot = seg(theme.glyphs.dot, 'muted');
  if (!g) {
    return [panelTitle(theme, `GATE ${p.gateId}`, true, [seg('not in the current stage any more', 'muted')], 'Esc back'), line(seg('  The gate left the view (the stage changed). Esc goes back.', 'muted'))];
  }
  const tok = stateToken(g.state);
  const out: LineSpec[] = [
    panelTitle(
      theme,
      `GATE ${sanitize(g.id)}`,
      true,
      [seg(`${g.kind}`, 'accent'), dot, seg(g.stageId ? `stage ${sanitize(g.stageId)}` : 'plan-wide', 'muted'), dot, seg(`on fail ${g.onFail}`, g.onFail === 'rollback' ? 'danger' : 'muted'), dot, seg(`mode ${g.mode}`, g.mode === 'enforce' ? 'muted' : 'warn')],
      'Esc back',
    ),
  ];
  const stateLine = line(
    label('state'),
    seg(`${theme.glyphs.state[g.state]} ${g.state}`, tok),
    seg(` since ${formatClock(g.since, p.utc)} (${formatAge(p.now - g.since)})`, 'text'),
    g.state === 'failing' && g.onFail === 'rollback' ? seg('  ROLLBACK ', 'rollback') : undefined,
    g.blocks ? seg('  blocks promotion', 'danger') : undefined,
  );
  out.push(stateLine);
  // The reason whole, over as many lines as it takes (up to 4).
  chunk(sanitize(g.why) || '-', Math.max(10, p.width - LABEL), 4, theme.glyphs.ellipsis).forEach((w, i) => out.push(line(label(i === 0 ? 'why' : ''), seg(w, tok))));
  const thr: Seg[] = [label('value'), seg(gateValueText(g), tok), dot, seg(`threshold ${gateThresholdText(g, { warnBand: true, none: theme.glyphs.dash })}`, 'text')];
  if (g.baseline !== undefined) thr.push(dot, seg(`baseline ${gateNumberText(g, g.baseline)}`, 'text'));
  out.push(line(...thr));
  const fails = failsInText(g, p.now - p.stateNow);
  if (g.breachSince !== undefined || fails) {
    const segs: Seg[] = [label('breach')];
    if (g.breachSince !== undefined) segs.push(seg(`since ${formatClock(g.breachSince, p.utc)} (${formatAge(p.now - g.breachSince)}), ${g.consecutiveBreaches} in a row`, tok));
    if (fails) segs.push(g.breachSince !== undefined ? dot : seg(''), seg(fails, 'pending'));
    out.push(line(...segs));
  }
  for (const j of judgeLines(g.judge, { ascii: theme.ascii })) out.push(line(label(j.label), seg(sanitize(j.text), 'text')));
  if (g.signoff) out.push(line(label('signoff'), seg(`${sanitize(g.signoff.operator)} at ${formatClock(g.signoff.at, p.utc)}: ${sanitize(g.signoff.note)}`, 'ok')));
  const changes = stateChanges(g, p.events).slice(0, 2);
  changes.forEach((c, i) =>
    out.push(
      line(
        label(i === 0 ? 'changed' : ''),
        seg(`${formatClock(c.at, p.utc)} ${c.from} ${theme.glyphs.arrow} `, 'text'),
        seg(c.to, stateToken(c.to)),
        seg(` ${sanitize(c.display)}${c.why ? ` (${sanitize(c.why)})` : ''}`, 'muted'),
      ),
    ),
  );
  if (changes.length === 0) out.push(line(label('changed'), seg(`no change seen; ${g.state} since ${formatClock(g.since, p.utc)}`, 'muted')));
  // The subject gets what is left of the head's share, at least one line.
  const subjectRoom = Math.max(1, Math.min(4, maxLines - out.length));
  const subject = chunk(sanitize(g.subject), Math.max(10, p.width - LABEL), subjectRoom, theme.glyphs.ellipsis);
  subject.forEach((s, i) => out.push(line(label(i === 0 ? 'subject' : ''), seg(s, 'accent'))));
  return out.slice(0, Math.max(0, maxLines));
}

export function sampleLines(history: readonly GateSample[], rows: number, scroll: number, theme: Theme, utc?: boolean, gate?: Pick<GateView, 'value' | 'display'>): LineSpec[] {
  const newestFirst = [...history].reverse();
  const start = Math.min(Math.max(0, scroll), Math.max(0, newestFirst.length - rows));
  const shown = newestFirst.slice(start, start + rows);
  const out: LineSpec[] = [panelTitle(theme, 'SAMPLES', false, [seg(`${history.length}, newest first`, 'muted')], start > 0 ? `${start} newer above` : '')];
  for (const s of shown) {
    const tok = stateToken(s.state);
    out.push(line(seg(`${formatClock(s.at, utc)}  `, 'muted'), seg(cell(gate ? gateNumberText(gate, s.raw ?? s.value) : formatValue(s.raw ?? s.value), 14, 'left', theme.glyphs.ellipsis) + ' ', tok), seg(`${theme.glyphs.state[s.state]} ${s.state}`, tok)));
  }
  if (history.length === 0) out.push(line(seg('no evaluation yet', 'muted')));
  return out;
}

export function partLines(parts: GateView['parts'], rows: number, theme: Theme): LineSpec[] {
  const list = parts ?? [];
  const out: LineSpec[] = [panelTitle(theme, 'PARTS', false, [seg(list.length ? `${list.length}` : 'none', 'muted')])];
  const nameW = Math.min(28, Math.max(8, list.reduce((m, x) => Math.max(m, x.name.length + 2), 0)));
  for (const part of list.slice(0, rows)) {
    out.push(line(seg(cell(sanitize(part.name), nameW - 1, 'left', theme.glyphs.ellipsis) + ' ', 'text'), seg(cell(formatValue(part.value), 14) + ' ', part.value === null ? 'noData' : 'text'), seg(part.note ? sanitize(part.note) : '', 'muted')));
  }
  if (list.length > rows && rows > 0) out[out.length - 1] = line(seg(`${theme.glyphs.ellipsis} ${list.length - rows + 1} more`, 'muted'));
  return out;
}

export function GateDetail(p: GateDetailProps) {
  const theme = useTheme();
  const headMax = Math.max(2, Math.min(p.gate ? 12 : 2, Math.floor(p.height / 2)));
  const head = gateHeadLines(p, theme, headMax);
  const rest = Math.max(0, p.height - head.length);
  const g = p.gate;
  if (!g || rest === 0) return <Lines lines={head} width={p.width} height={p.height} />;
  const hasParts = (g.parts?.length ?? 0) > 0;
  if (p.wide && hasParts) {
    const leftW = Math.floor((p.width - 1) / 2);
    const rightW = p.width - 1 - leftW;
    return (
      <Box flexDirection="column" width={p.width} height={p.height}>
        <Lines lines={head} width={p.width} height={head.length} />
        <Box flexDirection="row" height={rest}>
          <Lines lines={sampleLines(g.history, rest - 1, p.scroll, theme, p.utc, g)} width={leftW} height={rest} />
          <Box width={1} />
          <Lines lines={partLines(g.parts, rest - 1, theme)} width={rightW} height={rest} />
        </Box>
      </Box>
    );
  }
  const partsH = hasParts && rest >= 4 ? Math.max(2, Math.floor(rest * 0.4)) : 0;
  const samplesH = rest - partsH;
  const lines = [...head, ...sampleLines(g.history, samplesH - 1, p.scroll, theme, p.utc, g).slice(0, samplesH)];
  if (partsH > 0) lines.push(...partLines(g.parts, partsH - 1, theme));
  return <Lines lines={lines} width={p.width} height={p.height} />;
}
