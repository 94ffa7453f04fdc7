/**
 * Inline SVG drawn by hand for the HTML report: a line chart per gate (its
 * values over the window, the fail/warn thresholds dashed, state bands
 * behind) and the stage timeline bar. Both share one time axis, so a gate's
 * chart lines up under the stages.
 */
import type { GateState } from '../engine/types.js';
import { formatNumber } from '../plan/threshold.js';
import { formatWithUnit } from '../plan/units.js';
import { clockTime, offset } from './format.js';
import { esc } from './html-escape.js';
import type { GatePoint, GateReport, ReportModel } from './model.js';
import { actionTitle } from './words.js';

export const STATE_COLOURS: Record<GateState, { strong: string; band: string }> = {
  ok: { strong: '#1a7f37', band: '#dcf5e3' },
  warn: { strong: '#b08800', band: '#fff3c4' },
  pending: { strong: '#d4690c', band: '#ffe4c8' },
  failing: { strong: '#cf222e', band: '#ffd9d6' },
  'no data': { strong: '#6e7781', band: '#e8ebef' },
  error: { strong: '#8250df', band: '#eee3ff' },
  off: { strong: '#8c959f', band: '#f3f4f6' },
};

export const STAGE_COLOURS = ['#0969da', '#1f883d', '#8250df', '#bf3989', '#0a7d8c', '#9a6700'];

const W = 760;
const LEFT = 64;
const RIGHT = 104;
const PLOT_W = W - LEFT - RIGHT;

interface TimeAxis {
  x(t: number): number;
  ticks: number[];
  start: number;
}

export function timeAxis(start: number, end: number): TimeAxis {
  const spanMs = Math.max(1, end - start);
  const steps = [10e3, 15e3, 30e3, 60e3, 120e3, 300e3, 600e3, 900e3, 1_800e3, 3_600e3, 7_200e3, 21_600e3, 43_200e3, 86_400e3];
  const step = steps.find((s) => spanMs / s <= 7) ?? Math.ceil(spanMs / 7 / 86_400e3) * 86_400e3;
  const ticks: number[] = [];
  for (let t = start; t <= end + 1; t += step) ticks.push(t);
  return { x: (t) => LEFT + ((t - start) / spanMs) * PLOT_W, ticks, start };
}

function fmt(n: number): string {
  return String(Math.round(n * 10) / 10);
}

/** Tick labels on two lines: the clock time (UTC) and, under it, the offset from the window's start. */
function xTicks(axis: TimeAxis, y: number, top: number, bottom: number): string {
  const fine = axis.ticks.length > 1 && axis.ticks[1]! - axis.ticks[0]! < 60_000;
  return axis.ticks
    .map((t) => {
      const x = fmt(axis.x(t));
      const clock = fine ? clockTime(t) : clockTime(t).slice(0, 5);
      return `<line x1="${x}" x2="${x}" y1="${top}" y2="${bottom}" class="grid"/><text x="${x}" y="${y}" text-anchor="middle" class="tick"><tspan class="clock">${esc(clock)}</tspan><tspan x="${x}" dy="1.15em" class="offset">${esc(offset(t, axis.start))}</tspan></text>`;
    })
    .join('');
}

/** Promote, rollback and override moments as vertical lines over a chart, each with its own tooltip. */
function actionMarks(m: ReportModel, axis: TimeAxis, top: number, bottom: number): string {
  const marks = [
    ...m.actions.map((a) => ({ at: a.startedAt, cls: a.action === 'rollback' ? 'mark-rollback' : 'mark-promote', label: a.action === 'rollback' ? 'rollback' : 'promote', title: `${actionTitle(a)} by ${a.operator} at ${offset(a.startedAt, m.window.start)} (${clockTime(a.startedAt)}): ${a.result}` })),
    ...m.overrides.map((o) => ({ at: o.at, cls: 'mark-override', label: 'override', title: `override by ${o.operator} at ${offset(o.at, m.window.start)} (${clockTime(o.at)}): ${o.fields.override_reason}` })),
  ].sort((a, b) => a.at - b.at);
  let lastX = -Infinity;
  let row = 0;
  return marks
    .map((k) => {
      const x = axis.x(k.at);
      // Labels of marks close together step down a row instead of overlapping.
      row = x - lastX < 56 ? (row + 1) % 3 : 0;
      lastX = x;
      return `<g class="action-mark ${k.cls}" data-at="${k.at}"><title>${esc(k.title)}</title><line x1="${fmt(x)}" x2="${fmt(x)}" y1="${top}" y2="${bottom}"/><text x="${fmt(x + 3)}" y="${top + 9 + row * 10}" class="mark-label">${esc(k.label)}</text></g>`;
    })
    .join('');
}

/** Label positions for threshold lines: at their line, pushed apart so no two overlap. */
export function spreadLabels(ys: number[], gap: number): number[] {
  const order = ys.map((y, i) => ({ y, i })).sort((a, b) => a.y - b.y);
  const out = new Array<number>(ys.length);
  let prev = -Infinity;
  for (const o of order) {
    const y = Math.max(o.y, prev + gap);
    out[o.i] = y;
    prev = y;
  }
  return out;
}

/** A "nice" step for about `count` intervals over `range`. */
function niceStep(range: number, count: number): number {
  const raw = range / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
}

/** At most ~2 points per pixel column: the first, min and max of each column, in time order. */
function thin(points: GatePoint[], axis: TimeAxis): GatePoint[] {
  if (points.length <= PLOT_W * 2) return points;
  const cols = new Map<number, GatePoint[]>();
  for (const p of points) {
    const c = Math.round(axis.x(p.at));
    const list = cols.get(c) ?? [];
    list.push(p);
    cols.set(c, list);
  }
  const out: GatePoint[] = [];
  for (const list of cols.values()) {
    const nums = list.filter((p) => p.value !== null);
    if (nums.length === 0) {
      out.push(list[0]!);
      continue;
    }
    const lo = nums.reduce((a, b) => (b.value! < a.value! ? b : a));
    const hi = nums.reduce((a, b) => (b.value! > a.value! ? b : a));
    out.push(...[lo, hi].filter((p, i, a) => a.indexOf(p) === i).sort((a, b) => a.at - b.at));
  }
  return out;
}

/** A gate's values over the window, thresholds dashed, state bands behind and a state strip below. */
export function gateChart(g: GateReport, m: ReportModel): string {
  const H = 204;
  const top = 14;
  const bottom = 146;
  const stripY = 152;
  const axis = timeAxis(m.window.start, m.window.end);
  const label = (v: number) => (v === 0 ? '0' : g.unit ? formatWithUnit(v, g.unit) : formatNumber(v));
  const nums = g.series.map((p) => p.value).filter((v): v is number => v !== null);
  const lines = [...g.failLines.map((v) => ({ v, kind: 'fail' })), ...g.warnLines.map((v) => ({ v, kind: 'warn' }))];
  const all = [...nums, ...lines.map((l) => l.v)];
  let lo = all.length ? Math.min(...all) : 0;
  let hi = all.length ? Math.max(...all) : 1;
  if (lo >= 0) lo = 0;
  if (hi === lo) hi = lo + 1;
  const integral = all.every((v) => Number.isInteger(v));
  const step = integral ? Math.max(1, Math.ceil(niceStep(hi - lo, 4))) : niceStep(hi - lo, 4);
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil((hi + (hi - lo) * 0.06) / step) * step;
  const y = (v: number) => bottom - ((v - lo) / (hi - lo)) * (bottom - top);

  const parts: string[] = [];
  parts.push(`<rect x="${LEFT}" y="${top}" width="${PLOT_W}" height="${bottom - top}" class="plot"/>`);
  for (const s of g.segments) {
    const x1 = axis.x(s.from);
    const w = Math.max(0.8, axis.x(s.to) - x1);
    const c = STATE_COLOURS[s.state];
    parts.push(`<rect x="${fmt(x1)}" y="${top}" width="${fmt(w)}" height="${bottom - top}" fill="${c.band}" opacity="0.75"><title>${esc(`${s.state} ${offset(s.from, m.window.start)} → ${offset(s.to, m.window.start)}`)}</title></rect>`);
    parts.push(`<rect x="${fmt(x1)}" y="${stripY}" width="${fmt(w)}" height="8" rx="1.5" fill="${c.strong}"/>`);
  }
  for (let v = lo; v <= hi + step / 2; v += step) {
    const yy = fmt(y(v));
    parts.push(`<line x1="${LEFT}" x2="${LEFT + PLOT_W}" y1="${yy}" y2="${yy}" class="grid"/><text x="${LEFT - 6}" y="${yy}" dy="0.32em" text-anchor="end" class="tick">${esc(label(Number(v.toPrecision(12))))}</text>`);
  }
  parts.push(xTicks(axis, H - 28, top, bottom));
  const labelYs = spreadLabels(lines.map((l) => y(l.v)), 11);
  lines.forEach((l, i) => {
    const yy = fmt(y(l.v));
    parts.push(`<line x1="${LEFT}" x2="${LEFT + PLOT_W}" y1="${yy}" y2="${yy}" class="threshold ${l.kind}"/><text x="${LEFT + PLOT_W + 6}" y="${fmt(labelYs[i]!)}" dy="0.32em" class="threshold-label ${l.kind}">${esc(`${l.kind} ${label(l.v)}`)}</text>`);
  });
  parts.push(actionMarks(m, axis, top, bottom));

  const pts = thin(g.series, axis);
  const covered = (t: number) => g.segments.some((s) => s.from <= t && t <= s.to);
  let d = '';
  let prev: GatePoint | undefined;
  for (const p of pts) {
    if (p.value === null) {
      prev = undefined;
      continue;
    }
    const cmd = prev && covered((prev.at + p.at) / 2) ? 'L' : 'M';
    d += `${cmd}${fmt(axis.x(p.at))} ${fmt(y(p.value))} `;
    prev = p;
  }
  if (d) parts.push(`<path d="${d.trim()}" class="series"/>`);
  if (pts.length <= 160) {
    for (const p of pts) {
      if (p.value === null) continue;
      parts.push(
        `<circle cx="${fmt(axis.x(p.at))}" cy="${fmt(y(p.value))}" r="2.6" fill="${STATE_COLOURS[p.state].strong}"><title>${esc(`${offset(p.at, m.window.start)} (${clockTime(p.at)}) ${p.display} — ${p.state}`)}</title></circle>`,
      );
    }
  }
  if (nums.length === 0) parts.push(`<text x="${LEFT + PLOT_W / 2}" y="${(top + bottom) / 2}" text-anchor="middle" class="empty">no numeric values in this window</text>`);
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(`${g.id}: values over the window`)}" preserveAspectRatio="xMidYMid meet">${parts.join('')}</svg>`;
}

/** The stages over the window, with rollbacks hatched and actions and overrides marked. */
export function stageBar(m: ReportModel): string {
  const H = 124;
  const top = 12;
  const barH = 34;
  const markY = 66;
  const axis = timeAxis(m.window.start, m.window.end);
  const parts: string[] = [
    `<defs><pattern id="rolled-back-hatch" width="7" height="7" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="7" height="7" fill="#ffd9d6"/><line x1="0" y1="0" x2="0" y2="7" stroke="#cf222e" stroke-width="3"/></pattern></defs>`,
    `<rect x="${LEFT}" y="${top}" width="${PLOT_W}" height="${barH}" rx="4" class="plot"/>`,
    xTicks(axis, H - 22, top, markY + 14),
  ];
  for (const s of m.stages) {
    const colour = STAGE_COLOURS[s.index % STAGE_COLOURS.length]!;
    for (const v of s.visits) {
      const end = v.leftAt ?? m.window.end;
      const x1 = axis.x(v.enteredAt);
      const w = Math.max(1, axis.x(end) - x1);
      const title = `${s.id}: ${offset(v.enteredAt, m.window.start)} → ${v.leftAt !== undefined ? offset(v.leftAt, m.window.start) : 'end'} (${v.by})`;
      parts.push(`<g class="stage-visit" data-stage="${esc(s.id)}"><title>${esc(title)}</title><rect x="${fmt(x1)}" y="${top}" width="${fmt(w)}" height="${barH}" rx="4" fill="${colour}"/>`);
      if (v.rolledBackAt !== undefined) {
        const rx = axis.x(v.rolledBackAt);
        parts.push(`<rect x="${fmt(rx)}" y="${top}" width="${fmt(Math.max(1, axis.x(end) - rx))}" height="${barH}" fill="url(#rolled-back-hatch)"/>`);
        parts.push(`<line x1="${fmt(rx)}" x2="${fmt(rx)}" y1="${top - 4}" y2="${top + barH + 4}" class="rollback-mark"/>`);
      }
      if (w > 8 * s.id.length + 12) parts.push(`<text x="${fmt(x1 + 8)}" y="${top + barH / 2}" dy="0.34em" class="stage-label">${esc(s.id)}</text>`);
      parts.push('</g>');
    }
  }
  for (const a of m.actions) {
    const x = axis.x(a.startedAt);
    const cls = a.action === 'rollback' ? 'mark-rollback' : 'mark-promote';
    const shape = a.action === 'rollback' ? `M${fmt(x - 6)} ${markY - 5}h12l-6 10z` : `M${fmt(x - 6)} ${markY + 5}h12l-6 -10z`;
    parts.push(`<path d="${shape}" class="${cls}"><title>${esc(`${actionTitle(a)} by ${a.operator} at ${offset(a.startedAt, m.window.start)}: ${a.result}`)}</title></path>`);
  }
  for (const o of m.overrides) {
    const x = axis.x(o.at);
    parts.push(`<path d="M${fmt(x)} ${markY + 8}l6 6l-6 6l-6 -6z" class="mark-override"><title>${esc(`override by ${o.operator} at ${offset(o.at, m.window.start)}: ${o.fields.override_reason}`)}</title></path>`);
  }
  parts.push(`<text x="${LEFT - 8}" y="${top + barH / 2}" dy="0.34em" text-anchor="end" class="tick">stage</text>`);
  parts.push(`<text x="${LEFT - 8}" y="${markY + 8}" dy="0.34em" text-anchor="end" class="tick">actions</text>`);
  return `<svg class="chart stage-bar" viewBox="0 0 ${W} ${H}" role="img" aria-label="stages over the window" preserveAspectRatio="xMidYMid meet">${parts.join('')}</svg>`;
}
