/**
 * The release-review path end to end: `flightdeck demo --scenario regression
 * --speed 60` in tmux shows the promote, the breach, the auto-rollback and
 * the final state; its recording replays to the same gate states with no
 * network; its HTML report, opened in Chromium, holds the same timelines.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/engine/types.js';
import { readRecording } from '../../src/record/read.js';
import { BIN, flightdeck } from '../helpers/cli.js';
import { dumpDom, screenshotHtml } from '../helpers/chromium.js';
import { startTmux, type TmuxPane } from '../helpers/tmux.js';
import { expectVerdictThenDecidingGate } from '../helpers/report-order.js';

let dir: string;
let pane: TmuxPane | undefined;
let recording: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-demo-'));
  recording = join(dir, 'regression.ndjson.gz');
});
afterAll(async () => {
  pane?.kill();
  if (dir) await rm(dir, { recursive: true, force: true });
});

type GateChange = Extract<EngineEvent, { type: 'gate.changed' }>;
const trail = (events: EngineEvent[]) =>
  events.filter((e): e is GateChange => e.type === 'gate.changed').map((e) => `${e.at} ${e.stageId}/${e.gateId} ${e.from}->${e.to}`);

describe('flightdeck demo: the first screen', () => {
  it('says what it is (a simulated rollout, the autopilot) and which keys to try, under the status line; a key hides it and acts', async () => {
    const first = startTmux(`${BIN} demo --scenario regression --speed 60 --dir ${join(dir, 'first')}`, { cols: 80, rows: 24, cwd: dir });
    try {
      const screen = await first.waitFor(/DEMO - a simulated rollout/, { what: 'the intro', timeoutMs: 20_000 });
      const rows = screen.split('\n');
      // Under the two status lines, before the pipeline and the panels.
      expect(rows[2]).toMatch(/^ DEMO - a simulated rollout: 6 fake checkout nodes on 127\.0\.0\.1, a built-in$/);
      const intro = rows.slice(2, 8).join(' ').replace(/\s+/g, ' ');
      expect(intro).toMatch(/time at 60x, an autopilot that promotes on its own; nothing real is touched\./);
      expect(intro).toMatch(/Keys to try: \? every key, j\/k rows, Enter detail, \[ \] past polls, Z freeze, p promote, q quit\. Any key hides this\./);
      expect(intro).toMatch(/Scenario "regression": v2 fails under load/);
      expect(screen).toMatch(/── GATES/);
      for (const r of rows) expect(r.length).toBeLessThanOrEqual(80);
      // The key that hides it still does what it does: ? opens the help.
      first.type('?');
      const help = await first.waitFor(/KEYS/, { what: 'the help' });
      expect(help).not.toMatch(/simulated rollout/);
      first.send('q');
      await first.waitFor(() => !first.alive(), { what: 'the demo to exit', timeoutMs: 20_000 });
    } finally {
      first.kill();
    }
  }, 60_000);
});

describe('flightdeck demo --scenario regression --speed 60', () => {
  it('shows the promote, the breach, the auto-rollback and the final state on screen', async () => {
    pane = startTmux(`${BIN} demo --scenario regression --speed 60 --record ${recording} --dir ${join(dir, 'work')}`, { cols: 140, rows: 45, cwd: dir });
    await pane.waitFor(/canary-10/, { what: 'the cockpit', timeoutMs: 20_000 });
    await pane.waitFor(/PROMOTE of canary-10 started/, { what: "the promote of canary-10", timeoutMs: 30_000 });
    await pane.waitFor(/●\s*canary-50|stage 2\/3/, { what: 'canary-50 current', timeoutMs: 20_000 });
    await pane.waitFor(/(pending|failing)\s+error-rate\s+[\d.]+%/, { what: 'the breach', timeoutMs: 30_000 });
    const rolled = await pane.waitFor(/rolled back/i, { what: 'the auto-rollback', timeoutMs: 40_000 });
    expect(rolled).toMatch(/rollback/i);
    // Final state: the stage stays rolled back and the error rate recovers below its warn band.
    await pane.waitFor((s) => /rolled back/i.test(s) && /ok\s+error-rate/.test(s), { what: 'recovery after the rollback', timeoutMs: 30_000 });
    pane.send('q');
    await pane.waitFor(() => !pane!.alive(), { what: 'the demo to exit', timeoutMs: 20_000 });
    expect(pane.exitStatus()).toBe(0);
  }, 180_000);

  it('the recording replays to the same gate states, with no network', async () => {
    const rec = await readRecording(recording);
    const live = rec.entries.filter((e) => e.kind === 'event' && e.origin === 'engine').map((e) => (e.kind === 'event' ? e.event : (undefined as never)));
    const r = await flightdeck(['replay', recording, '--json']);
    expect(r.code).toBe(0);
    const replayed = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as EngineEvent);
    const liveTrail = trail(live);
    expect(liveTrail.some((l) => /canary-50\/error-rate (pending|warn)->failing/.test(l))).toBe(true);
    expect(trail(replayed)).toEqual(liveTrail);
    expect(replayed.some((e) => e.type === 'action.started' && e.action === 'rollback' && e.auto)).toBe(true);
    expect(replayed.some((e) => e.type === 'stage.rolled-back')).toBe(true);
  });

  it('replays in the cockpit with pause, seek and jump to the end', async () => {
    pane?.kill();
    pane = startTmux(`${BIN} replay ${recording} --paused`, { cols: 120, rows: 36, cwd: dir });
    await pane.waitFor(/REPLAY \S+ \+0s of .*\(paused\)/, { what: 'the replay paused at the start' });
    // One key, one meaning: p says nothing acts here (not silently ignored); Space plays (not page-down).
    pane.type('p');
    await pane.waitFor(/replay: nothing acts from here: p \(promote to the next stage\) is off/, { what: 'p refused in the replay' });
    pane.type(' ');
    await pane.waitFor(/REPLAY \S+ \+\S+ of .*\((playing|ended)\)/, { what: 'Space plays' });
    pane.type(' ');
    await pane.waitFor(/REPLAY \S+ \+\S+ of .*\((paused|ended)\)/, { what: 'Space pauses again' });
    pane.type('{');
    await pane.waitFor(/REPLAY \S+ \+0s of .*\(paused\)/, { what: 'back to the start' });
    pane.type('+');
    await pane.waitFor(/REPLAY \S+ \+1m of/, { what: 'one minute on' });
    pane.type('}');
    const end = await pane.waitFor(/REPLAY \S+ \+(\S+) of \1 /, { what: 'the end of the recording' });
    expect(end).toMatch(/ROLLED BACK/);
    pane.send('q');
    await pane.waitFor(() => !pane!.alive(), { what: 'replay to exit' });
    expect(pane.exitStatus()).toBe(0);
  }, 60_000);

  it('the HTML report opens in Chromium and its timelines match the recording', async () => {
    const html = join(dir, 'report.html');
    const r = await flightdeck(['report', recording, '--format', 'html', '--out', html]);
    expect(r.code).toBe(0);
    const png = join(dir, 'report.png');
    await screenshotHtml(html, png, { width: 1280, height: 1600 });
    expect((await readFile(png)).length).toBeGreaterThan(30_000);
    const dom = await dumpDom(html);
    const rec = await readRecording(recording);
    const changes = rec.entries.filter((e) => e.kind === 'event' && e.event.type === 'gate.changed').map((e) => (e.kind === 'event' ? (e.event as GateChange) : (undefined as never)));
    expect(changes.length).toBeGreaterThan(10);
    for (const c of changes) expect(dom).toContain(`data-gate="${c.gateId}"`);
    const rendered = [...dom.matchAll(/data-gate="([^"]+)"[^>]*data-at="(\d+)"[^>]*data-from="([^"]+)"[^>]*data-to="([^"]+)"/g)].map((m) => `${m[2]} ${m[1]} ${m[3]}->${m[4]}`);
    for (const c of changes) expect(rendered).toContain(`${c.at} ${c.gateId} ${c.from}->${c.to}`);
    expect(dom).toMatch(/rolled back/i);
    // A release review reads the verdict, then the chart of the gate that rolled the canary back, before anything else.
    const chart = expectVerdictThenDecidingGate(dom, 'gate-canary-50_3aerror-rate', 'rolled back');
    expect(chart).toMatch(/class="action-mark mark-rollback"/);
  }, 150_000);
});
