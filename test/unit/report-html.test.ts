import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/engine/types.js';
import { readRecording, type Recording } from '../../src/record/read.js';
import { esc } from '../../src/report/html-escape.js';
import { renderHtml } from '../../src/report/html.js';
import { spreadLabels } from '../../src/report/html-chart.js';
import type { ReportModel } from '../../src/report/model.js';
import { summarise } from '../../src/report/summary.js';
import { recordLongWindow, recordWindow, SECRET, XSS_REASON } from './report-fixture.js';
import { expectVerdictThenDecidingGate } from '../helpers/report-order.js';

let dir: string;
let rec: Recording;
let model: ReportModel;
let html: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-report-html-'));
  rec = await readRecording((await recordWindow(dir, 'rollback')).file);
  model = summarise(rec);
  html = renderHtml(model);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const VOID = new Set(['meta', 'link', 'br', 'hr', 'img', 'input', 'col', 'wbr']);
const ALLOWED = new Set(
  'html head meta title style body main header div h1 h2 h3 p ul ol li dl dt dd nav a section article table thead tbody tr th td span small code b i pre details summary footer svg defs pattern rect line text tspan g path circle'.split(' '),
);

/** Checks that every tag is closed in order; returns the tag names seen. */
function checkBalanced(doc: string): Set<string> {
  const body = doc.replace(/^<!DOCTYPE html>/, '').replace(/<style>[\s\S]*?<\/style>/, '<style></style>');
  const stack: string[] = [];
  const seen = new Set<string>();
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+(?:="[^"]*")?)*)\s*(\/?)>/g)) {
    const [, close, rawName, , self] = m;
    const name = rawName!.toLowerCase();
    seen.add(name);
    if (close) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}> at ${m.index}: …${body.slice(Math.max(0, m.index! - 80), m.index! + 20)}`);
    } else if (!self && !VOID.has(name)) stack.push(name);
  }
  if (stack.length) throw new Error(`unclosed: ${stack.join(' > ')}`);
  // With every tag taken out, no "<" may be left: text and attributes were escaped.
  const text = body.replace(/<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+(?:="[^"]*")?)*)\s*(\/?)>/g, '');
  expect(text).not.toContain('<');
  return seen;
}

describe('HTML report', () => {
  it('is one well-formed, self-contained page: balanced tags, known elements only, nothing fetched', () => {
    const seen = checkBalanced(html);
    expect(seen.size).toBeGreaterThan(30);
    for (const t of seen) expect(ALLOWED.has(t), `<${t}>`).toBe(true);
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(html).not.toMatch(/<(script|link|img|iframe|object|embed)\b/i);
    expect(html).not.toMatch(/@import|@font-face/);
    expect([...html.matchAll(/url\(([^)]*)\)/g)].map((m) => m[1])).toEqual(['#rolled-back-hatch']);
    expect([...html.matchAll(/\s(?:href|src)="([^"]*)"/g)].every((m) => m[1]!.startsWith('#'))).toBe(true);
  });

  it('escapes every recorded string: a reason holding <script> shows as text', () => {
    expect(html).toContain(esc(XSS_REASON));
    expect(esc(XSS_REASON)).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;ok&quot;');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).not.toContain(SECRET);

    const hostile = '"><img src=x onerror=alert(1)></style><script>alert(2)</script>';
    const m: ReportModel = structuredClone(model);
    m.service = hostile;
    m.description = hostile;
    m.operator = hostile;
    m.planText = `${m.planText}\n# ${hostile}`;
    m.verdict.reasons.push(hostile);
    m.gates[0]!.timeline[0]!.why = hostile;
    m.gates[0]!.finalDisplay = hostile;
    m.actions[1]!.steps[0]!.tail.push(hostile);
    m.alerts[0]!.summary = hostile;
    m.notifications.failures[0]!.error = hostile;
    m.nodes.events[0]!.reason = hostile;
    const out = renderHtml(m);
    const seen = checkBalanced(out);
    expect(seen.has('img')).toBe(false);
    expect(seen.has('script')).toBe(false);
    expect(out.split(esc(hostile)).length - 1).toBeGreaterThanOrEqual(10);
  });

  it('gives every gate.changed transition of the recording a timeline entry with data attributes, in order', () => {
    const changes = rec.entries.flatMap((e) => (e.kind === 'event' && e.event.type === 'gate.changed' ? [e.event] : [])) as Array<Extract<EngineEvent, { type: 'gate.changed' }>>;
    const items = [...html.matchAll(/<li class="change"[^>]*data-gate="([^"]*)" data-stage="([^"]*)" data-at="(\d+)" data-from="([^"]*)" data-to="([^"]*)"/g)].map((m) => ({ gate: m[1], stage: m[2], at: Number(m[3]), from: m[4], to: m[5] }));
    const key = (x: { gate?: string; stage?: string; at: number; from?: string; to?: string }) => `${x.stage}/${x.gate}@${x.at} ${x.from}->${x.to}`;
    const want = changes.map((e) => key({ gate: e.gateId, stage: e.stageId ?? '', at: e.at, from: e.from, to: e.to }));
    expect(items.map(key).sort()).toEqual([...want].sort());
    for (const g of model.gates) {
      expect(items.filter((i) => i.gate === g.id).map(key)).toEqual(want.filter((w) => w.startsWith(`${g.stageId ?? ''}/${g.id}@`)));
    }
  });

  it('draws a chart per gate with its thresholds dashed and state bands, and a stage bar', () => {
    const charts = html.match(/<svg class="chart"/g) ?? [];
    // Gates that never left ok are a row in a compact table; every other gate has its chart.
    const quiet = model.gates.filter((g) => g.timeline.every((c) => ['ok', 'no data', 'off'].includes(c.to)) && g.failingMs === 0);
    expect(quiet.length).toBeGreaterThan(0);
    expect(charts).toHaveLength(model.gates.length - quiet.length);
    const folded = html.slice(html.indexOf('id="healthy-gates"'));
    for (const g of quiet) expect(folded).toContain(`data-gate="${g.id}" data-stage="${g.stageId ?? ''}"`);
    expect(html).toContain('<svg class="chart stage-bar"');
    const p99 = html.slice(html.indexOf('id="gate-canary-10_3ap99-latency"'));
    const chart = p99.slice(0, p99.indexOf('</svg>'));
    expect(chart).toMatch(/class="threshold fail"/);
    expect(chart).toMatch(/class="threshold warn"/);
    expect(chart).toContain('>fail 250ms</text>');
    expect(chart).toContain('>warn 200ms</text>');
    expect(chart).toMatch(/fill="#ffd9d6"[^>]*><title>failing \+55s/); // the failing band
    expect(chart).toMatch(/<path d="M[\d.]+ [\d.]+( L[\d.]+ [\d.]+)+" class="series"\/>/);
    expect(chart.match(/<circle /g)).toHaveLength(model.gates.find((g) => g.id === 'p99-latency')!.series.length);
    const bar = html.slice(html.indexOf('<svg class="chart stage-bar"'));
    expect(bar.slice(0, bar.indexOf('</svg>'))).toContain('fill="url(#rolled-back-hatch)"');
  });

  it('puts the verdict first, then the gates that decided it, each chart with promote/rollback marks and a clock-time axis', () => {
    expect(model.decisive[0]).toBe('half-50:error-rate-50');
    const chart = expectVerdictThenDecidingGate(html, 'gate-half-50_3aerror-rate-50');
    // Only once in the page: its timeline is not repeated under the other gates.
    expect(html.split('id="gate-half-50_3aerror-rate-50"')).toHaveLength(2);
    const marks = [...chart.matchAll(/<g class="action-mark (mark-\w+)" data-at="(\d+)">/g)].map((x) => [x[1], Number(x[2])]);
    const acts = model.actions.map((a) => [a.action === 'rollback' ? 'mark-rollback' : 'mark-promote', a.startedAt]);
    const overrides = model.overrides.map((o) => ['mark-override', o.at]);
    expect([...marks].sort()).toEqual([...acts, ...overrides].sort());
    // Clock time (UTC) on the axis, the offset from the window's start under it.
    expect(chart).toMatch(/<tspan class="clock">12:0\d<\/tspan><tspan [^>]*class="offset">\+0s<\/tspan>/);
  });

  it('never draws two threshold labels on top of each other', () => {
    for (const svg of html.match(/<svg class="chart"[\s\S]*?<\/svg>/g) ?? []) {
      const ys = [...svg.matchAll(/<text x="[\d.]+" y="([\d.]+)" dy="0.32em" class="threshold-label/g)].map((x) => Number(x[1])).sort((a, b) => a - b);
      for (let i = 1; i < ys.length; i++) expect(ys[i]! - ys[i - 1]!).toBeGreaterThanOrEqual(11);
    }
  });

  it('holds the same content as the Markdown: verdict, stages, gates, actions, overrides, alerts, notifications, plan', () => {
    expect(html).toContain('<div class="verdict" data-verdict="rolled back"><span class="badge">Rolled back</span>');
    for (const id of ['stages', 'gates', 'timelines', 'actions', 'overrides', 'alerts', 'nodes', 'notifications', 'plan']) expect(html).toContain(`id="${id}"`);
    expect(html).toMatch(/<div class="action" data-action="rollback" data-stage="half-50" data-result="ok">/);
    expect(html).toContain('<dt>override_reason</dt><dd>' + esc(XSS_REASON) + '</dd>');
    expect(html).toMatch(/<td><code>previous-tag<\/code><\/td><td><span class="badge r-ok">ok<\/span><\/td><td class="num">0<\/td><td class="num">1m5s<\/td>/);
    expect(html).toContain('<span class="stat"><b>4</b>delivered</span>');
    expect(html).toContain('<b>HighErrorBudgetBurn</b>');
    expect(html).toContain(esc('query: dhash_p99_ms'));
    expect(html).toContain('@media print');
  });

  it('folds a long timeline under a summary, keeping every entry in the page', async () => {
    const long = summarise(await readRecording((await recordLongWindow(dir, 60)).file));
    const page = renderHtml(long);
    checkBalanced(page);
    const n = long.gates[0]!.timeline.length;
    expect(n).toBeGreaterThan(30);
    expect(page).toContain(`<details class="long-timeline"><summary>All ${n} state changes</summary><ol class="timeline">`);
    expect(page.match(/<li class="change"/g)).toHaveLength(n);
  });
});

describe('threshold labels', () => {
  it('are pushed apart when their lines are close, and stay at their line otherwise', () => {
    expect(spreadLabels([100, 105, 50], 11)).toEqual([100, 111, 50]);
    expect(spreadLabels([40, 80], 11)).toEqual([40, 80]);
    expect(spreadLabels([60, 60, 60], 11)).toEqual([60, 71, 82]);
  });
});
