/** The intro (the demo's first screen): under the status line, wrapped, most needed first; gone at the first key (which still acts) or after its time. */
import React from 'react';
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { CockpitApp } from './CockpitApp.js';
import { introLines, introRowsFor } from './Intro.js';
import { renderSized, stripAnsi, waitForFrame } from './testing/render.js';
import { makeState } from '../test/helpers/state-fixture.js';

afterEach(() => cleanup());

const PARAGRAPHS = [
  'DEMO: a simulated rollout - 6 fake checkout nodes and a built-in Prometheus on 127.0.0.1, time at 30x; nothing real is touched.',
  'Keys to try: ? every key, j/k rows, Enter detail, [ ] past polls, Z freeze, p promote, q quit.',
  'The autopilot promotes on its own; the guard rolls back when a gate fails.',
];
const text = (ls: ReturnType<typeof introLines>) => ls.map((l) => l.segs.map((s) => s.text).join(''));

describe('introLines', () => {
  it('wraps each paragraph to the width, most needed first, and cuts the last kept row when rows run out', () => {
    const all = text(introLines(PARAGRAPHS, 60, Infinity));
    for (const l of all) expect(l.length).toBeLessThanOrEqual(60);
    expect(all.join(' ')).toMatch(/simulated rollout/);
    expect(all.join(' ')).toMatch(/autopilot/);
    const cut = text(introLines(PARAGRAPHS, 60, 3));
    expect(cut).toHaveLength(3);
    expect(cut.join(' ')).toMatch(/simulated rollout/);
    expect(cut[2]).toMatch(/…$/);
    expect(cut.join(' ')).not.toMatch(/autopilot/);
  });

  it('leaves the panels their rows: at most 6, and none when the body would drop under 6', () => {
    expect(introRowsFor(30)).toBe(6);
    expect(introRowsFor(10)).toBe(4);
    expect(introRowsFor(5)).toBe(0);
  });
});

describe('the intro in the cockpit', () => {
  it('shows under the status line; the first key hides it and still does what it does', async () => {
    const r = render(<CockpitApp state={makeState()} utc env={{}} intro={{ paragraphs: PARAGRAPHS, forMs: 60_000 }} onCommand={() => undefined} onQuit={() => undefined} />);
    await waitForFrame();
    const frame = () => stripAnsi(r.lastFrame() ?? '');
    const lines = frame().split('\n');
    expect(lines[2]).toMatch(/^ DEMO: a simulated rollout/);
    expect(frame()).toMatch(/Keys to try: \? every key/);
    expect(frame()).toMatch(/autopilot promotes/);
    r.stdin.write('?');
    await waitForFrame();
    expect(frame()).not.toMatch(/simulated rollout/);
    expect(frame()).toContain('KEYS');
  });

  it('goes by itself after its time', async () => {
    const r = render(<CockpitApp state={makeState()} utc env={{}} intro={{ paragraphs: PARAGRAPHS, forMs: 50 }} onCommand={() => undefined} onQuit={() => undefined} />);
    await waitForFrame();
    expect(stripAnsi(r.lastFrame() ?? '')).toMatch(/simulated rollout/);
    for (let i = 0; i < 100 && /simulated rollout/.test(stripAnsi(r.lastFrame() ?? '')); i++) await new Promise((res) => setTimeout(res, 20));
    expect(stripAnsi(r.lastFrame() ?? '')).not.toMatch(/simulated rollout/);
  });

  it('fits a 60x16 terminal: the frame stays within it and the panels keep their rows', async () => {
    const r = renderSized(<CockpitApp state={makeState()} utc env={{}} intro={{ paragraphs: PARAGRAPHS, forMs: 60_000 }} onCommand={() => undefined} onQuit={() => undefined} />, { columns: 60, rows: 16 });
    await waitForFrame();
    const lines = stripAnsi(r.lastFrame()).split('\n');
    expect(lines.length).toBeLessThanOrEqual(15);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(59);
    expect(lines.join('\n')).toMatch(/DEMO: a simulated/);
    expect(lines.join('\n')).toMatch(/GATES/);
    r.unmount();
  });
});
