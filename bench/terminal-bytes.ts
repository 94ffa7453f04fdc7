/**
 * Bytes on the wire per cockpit update. Renders the real cockpit (Ink,
 * incremental rendering, 10 fps) into a fake TTY at 80x24, 100x30 and 160x50 with a
 * dashboard as full as it gets (40 gates, 500 nodes, 12 alerts, 200 events),
 * then changes one gate value, ten gate values and one blocking gate's value,
 * and counts what each update wrote and whether any cleared the whole screen.
 *
 *   node scripts/build.mjs --bench && node dist/bench/terminal-bytes.js [--json]
 */
import { pathToFileURL } from 'node:url';
import type { EngineState } from '../src/engine/types.js';
import React from 'react';
import { settle, startCockpitOnTty } from '../components/testing/tty.js';
import { changedCellsBytes } from './cells-floor.js';

export const TARGET_ONE_VALUE_BYTES = 512;

export interface SizeFigures {
  columns: number;
  rows: number;
  /** Alternate screen, cursor and the first full frame. */
  firstFrameBytes: number;
  oneValueBytes: number;
  /** The changed cells' own bytes for that one value (cells-floor.ts): the floor of any renderer. */
  oneValueFloorBytes: number;
  tenValuesBytes: number;
  /** A clock tick (the same state one second later): bytes written, and the changed cells' own bytes. */
  tickBytes: number;
  tickFloorBytes: number;
  /** A failing gate's value: its row and the stage's "blocked by" line change. */
  blockerValueBytes: number;
  /** Whether any update (not the first frame) cleared the whole screen (ESC[2J, ESC[3J or ESC c). */
  fullClear: boolean;
  /** Whether the output carried colour codes (as on a real colour terminal). */
  colors: boolean;
  /** Whether a terminal fed every byte shows exactly the last frame (no line left over or shifted). */
  screenMatches: boolean;
}

export interface TerminalBytesReport {
  sizes: SizeFigures[];
  target: number;
  pass: boolean;
}

// eslint-disable-next-line no-control-regex
const FULL_CLEAR = /\u001b\[[23]J|\u001bc/;
// eslint-disable-next-line no-control-regex
const COLOR = /\u001b\[(3[0-79]|9[0-7]|4[0-79]|10[0-7])m/;

/**
 * chalk decides at import time whether colours are on, from the environment.
 * Load it with the environment of a colour terminal, then put the
 * environment back.
 */
async function loadForTerminal() {
  const saved = { FORCE_COLOR: process.env['FORCE_COLOR'] };
  if (saved.FORCE_COLOR === undefined) process.env['FORCE_COLOR'] = '1';
  try {
    const [render, fixture, gates, expected, sized, app] = await Promise.all([
      import('../components/render-cockpit.js'),
      import('../test/helpers/state-fixture.js'),
      import('../components/GatesPanel.js'),
      import('../components/testing/expected-frame.js'),
      import('../components/testing/render.js'),
      import('../components/CockpitApp.js'),
    ]);
    /** Ink's styled frame for a state (what the cockpit draws at that size), to find the changed cells. */
    const styledFrame = async (state: EngineState, size: { columns: number; rows: number }): Promise<string> => {
      const r = sized.renderSized(React.createElement(app.CockpitApp, { state, now: state.now, readonly: false }), size);
      try {
        await sized.waitForFrame();
        return r.lastFrame();
      } finally {
        r.unmount();
      }
    };
    return { renderCockpit: render.renderCockpit, fixture, gateList: gates.gateList, expectedScreen: expected.expectedScreen, styledFrame };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

async function measureAt(columns: number, rows: number): Promise<SizeFigures> {
  const { renderCockpit, fixture, gateList, expectedScreen, styledFrame } = await loadForTerminal();
  const t = startCockpitOnTty(renderCockpit, columns, rows, fixture.makeFullState({ gates: 40, nodes: 500, alerts: 12, events: 200 }));
  const { tty, handle } = t;
  try {
    await settle(tty);
    const firstFrameBytes = tty.bytes;
    const firstText = tty.chunks.join('');
    if (firstText.split('\n').length < rows / 2) {
      throw new Error('Ink wrote no frame');
    }
    // Gates whose value can move without changing their state or the stage's blockers, in the order shown.
    const ok = gateList(t.state().gates, '').filter((g) => !g.blocks && g.state !== 'off').map((g) => g.id);
    const update = async (next: EngineState) => {
      const mark = tty.chunks.length;
      const before = tty.bytes;
      t.publish(next);
      await settle(tty);
      const text = tty.chunks.slice(mark).join('');
      if (process.env['TERMINAL_BYTES_DEBUG']) process.stderr.write(`${columns}x${rows}: ${JSON.stringify(text)}\n`);
      return { bytes: tty.bytes - before, text };
    };
    const size = { columns, rows };
    const frame0 = await styledFrame(t.state(), size);
    const one = await update(fixture.withGateValue(t.state(), ok[0]!, 0.0123));
    const frame1 = await styledFrame(t.state(), size);
    const oneFloor = changedCellsBytes(frame0, frame1);
    const tick = await update({ ...t.state(), now: t.state().now + 1000 });
    const tickFloor = changedCellsBytes(frame1, await styledFrame(t.state(), size));
    let ten = t.state();
    ok.slice(1, 11).forEach((id, i) => {
      ten = fixture.withGateValue(ten, id, Number((0.011 + i * 0.0007).toFixed(4)));
    });
    const tenR = await update(ten);
    const failing = t.state().gates.find((g) => g.blocks && g.state === 'failing')!;
    const withBlocker: EngineState = fixture.withGateValue(t.state(), failing.id, 0.0731);
    withBlocker.stages = withBlocker.stages.map((s) => ({ ...s, blockers: s.blockers.map((b) => (b.gateId === failing.id ? { ...b, display: '0.0731' } : b)) }));
    const blocker = await update(withBlocker);
    const want = await expectedScreen(t.state(), { columns, rows });
    const screenMatches = JSON.stringify(tty.screen.lines()) === JSON.stringify(want);
    return {
      columns,
      rows,
      firstFrameBytes,
      oneValueBytes: one.bytes,
      oneValueFloorBytes: oneFloor.bytes,
      tenValuesBytes: tenR.bytes,
      tickBytes: tick.bytes,
      tickFloorBytes: tickFloor.bytes,
      blockerValueBytes: blocker.bytes,
      fullClear: [one, tick, tenR, blocker].some((u) => FULL_CLEAR.test(u.text)),
      colors: COLOR.test(firstText),
      screenMatches,
    };
  } finally {
    handle.unmount();
    await handle.waitUntilExit().catch(() => undefined);
  }
}

export async function measureTerminalBytes(sizes: ReadonlyArray<[number, number]> = [
    [80, 24],
    [100, 30],
    [160, 50],
  ]): Promise<TerminalBytesReport> {
  const out: SizeFigures[] = [];
  for (const [c, r] of sizes) out.push(await measureAt(c, r));
  return { sizes: out, target: TARGET_ONE_VALUE_BYTES, pass: out.every((s) => s.oneValueBytes <= TARGET_ONE_VALUE_BYTES && !s.fullClear && s.screenMatches) };
}

export function formatReport(r: TerminalBytesReport): string {
  const head = ['size', 'first frame', '1 value', '10 values', '1 blocker', 'full clear', 'colour', 'screen ok'];
  const rows = r.sizes.map((s) => [
    `${s.columns}x${s.rows}`,
    `${s.firstFrameBytes} B`,
    `${s.oneValueBytes} B`,
    `${s.tenValuesBytes} B`,
    `${s.blockerValueBytes} B`,
    s.fullClear ? 'YES' : 'no',
    s.colors ? 'yes' : 'no',
    s.screenMatches ? 'yes' : 'NO',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (row: string[]) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [
    'cockpit terminal bytes per update (Ink incremental rendering, maxFps 10)',
    fmt(head),
    ...rows.map(fmt),
    `target: one value change <= ${r.target} B, no full-screen clear, the screen shows the frame: ${r.pass ? 'PASS' : 'FAIL'}`,
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  measureTerminalBytes().then(
    (r) => {
      process.stdout.write((process.argv.includes('--json') ? JSON.stringify(r, null, 2) : formatReport(r)) + '\n');
      process.exitCode = r.pass ? 0 : 1;
    },
    (err: unknown) => {
      process.stderr.write(`terminal-bytes: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
