/**
 * The HTML report in a real browser (Debian's Chromium, headless): it
 * renders to a non-trivial screenshot, and the DOM Chromium builds holds
 * every gate.changed transition of the recording, in order, with no element
 * injected by a recorded reason. Set REPORT_SCREENSHOT_DIR to keep the PNG.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/engine/types.js';
import { readRecording } from '../../src/record/read.js';
import { runReportCommand } from '../../src/report/cli.js';
import { CHROMIUM, dumpDom, requireChromium, screenshotHtml } from '../helpers/chromium.js';
import { recordWindow, XSS_REASON } from '../unit/report-fixture.js';

let dir: string;
let recording: string;
let htmlFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-report-chromium-'));
  recording = (await recordWindow(dir, 'rollback')).file;
  htmlFile = join(dir, 'report.html');
  const quiet = { stdout: { write: () => true }, stderr: { write: () => true } };
  expect(await runReportCommand(recording, { format: 'html', out: htmlFile }, quiet)).toBe(0);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('HTML report in Chromium', () => {
  it('needs Chromium installed (apt-get install -y chromium)', () => {
    expect(existsSync(CHROMIUM), `no ${CHROMIUM}: apt-get install -y chromium`).toBe(true);
    expect(requireChromium()).toBe(CHROMIUM);
  });

  it('renders a screenshot of the report', async () => {
    const keep = process.env.REPORT_SCREENSHOT_DIR;
    if (keep) await mkdir(keep, { recursive: true });
    const png = join(keep ?? dir, 'report-rollback.png');
    await screenshotHtml(htmlFile, png, { width: 1280, height: 2400 });
    const bytes = await readFile(png);
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(bytes.readUInt32BE(16)).toBe(1280); // IHDR width
    expect(bytes.readUInt32BE(20)).toBe(2400); // IHDR height
    expect((await stat(png)).size).toBeGreaterThan(60_000); // a blank page of this size compresses to a few KB
  }, 90_000);

  it('renders a DOM holding every gate.changed transition of the recording, and nothing a reason injected', async () => {
    const dom = await dumpDom(htmlFile);
    const rec = await readRecording(recording);
    const changes = rec.entries.flatMap((e) => (e.kind === 'event' && e.event.type === 'gate.changed' ? [e.event] : [])) as Array<Extract<EngineEvent, { type: 'gate.changed' }>>;
    expect(changes.length).toBeGreaterThan(10);
    const attr = (tag: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
    const items = [...dom.matchAll(/<li\b[^>]*class="change"[^>]*>/g)].map((m) => ({
      gate: attr(m[0], 'data-gate'),
      stage: attr(m[0], 'data-stage'),
      at: Number(attr(m[0], 'data-at')),
      from: attr(m[0], 'data-from'),
      to: attr(m[0], 'data-to'),
    }));
    const key = (x: { gate?: string; stage?: string; at: number; from?: string; to?: string }) => `${x.stage}/${x.gate}@${x.at} ${x.from}->${x.to}`;
    const want = changes.map((e) => key({ gate: e.gateId, stage: e.stageId ?? '', at: e.at, from: e.from, to: e.to }));
    expect(items).toHaveLength(changes.length);
    expect(items.map(key).sort()).toEqual([...want].sort());
    for (const gate of new Set(changes.map((e) => e.gateId))) {
      expect(items.filter((i) => i.gate === gate).map(key)).toEqual(want.filter((w) => w.includes(`/${gate}@`)));
    }
    expect(dom).not.toMatch(/<script/i);
    expect(dom).toContain('alert(1)&lt;/script&gt;');
    expect(XSS_REASON).toContain('<script>');
    expect(dom).toContain('data-verdict="rolled back"');
  }, 90_000);
});

/**
 * A release review opens the page and reads the first screen: the verdict and
 * the chart of the gate that decided it must be there without scrolling. The
 * page holds no script of its own; a copy gets a probe that writes where each
 * box landed into the DOM, which Chromium then dumps.
 */
describe('the first screen of the report (1280x900)', () => {
  const PROBE = `<script>
const r = (el) => { const b = el.getBoundingClientRect(); return { top: Math.round(b.top), bottom: Math.round(b.bottom) }; };
const first = document.querySelector('#decided svg.chart');
document.body.setAttribute('data-layout', JSON.stringify({
  verdict: r(document.querySelector('.verdict')),
  chart: first ? r(first) : null,
  chartGate: first ? first.closest('article').dataset.gate : null,
  viewport: window.innerHeight,
}));
</script>`;

  for (const [scenario, verdict, gate] of [
    ['rollback', 'rolled back', 'error-rate-50'],
    ['complete', 'complete', 'error-rate-50'],
  ] as const) {
    it(`${scenario}: the verdict "${verdict}" and the chart of ${gate} show without scrolling`, async () => {
      const sub = join(dir, scenario);
      await mkdir(sub, { recursive: true });
      const rec = (await recordWindow(sub, scenario)).file;
      const html = join(sub, 'report.html');
      const quiet = { stdout: { write: () => true }, stderr: { write: () => true } };
      expect(await runReportCommand(rec, { format: 'html', out: html }, quiet)).toBe(0);
      const page = await readFile(html, 'utf8');
      expect(page).toContain(`data-verdict="${verdict}"`);
      const probed = join(sub, 'probed.html');
      await writeFile(probed, page.replace('</body>', `${PROBE}</body>`));
      const dom = await dumpDom(probed, { width: 1280, height: 900 });
      const layout = JSON.parse(/data-layout="([^"]*)"/.exec(dom)![1]!.replace(/&quot;/g, '"')) as {
        verdict: { top: number; bottom: number };
        chart: { top: number; bottom: number } | null;
        chartGate: string | null;
        viewport: number;
      };
      expect(layout.chartGate).toBe(gate);
      expect(layout.verdict.top).toBeGreaterThanOrEqual(0);
      expect(layout.chart!.top).toBeGreaterThan(layout.verdict.bottom);
      expect(layout.chart!.bottom).toBeLessThanOrEqual(layout.viewport);
      const keep = process.env.REPORT_SCREENSHOT_DIR;
      if (keep) {
        await mkdir(keep, { recursive: true });
        await screenshotHtml(html, join(keep, `report-first-screen-${scenario}.png`), { width: 1280, height: 900 });
      }
    }, 250_000);
  }
});
