/** The help (?) shows every binding's description whole at every size: in as many columns as fit, wrapped when narrow, the rest scrolled with j/k. */
import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { CockpitApp } from './CockpitApp.js';
import { KEYMAP } from './keymap.js';
import { renderSized, stripAnsi, type SizedRender } from './testing/render.js';
import { makeState } from '../test/helpers/state-fixture.js';

let r: SizedRender | undefined;
afterEach(() => {
  r?.unmount();
  r = undefined;
});

const squash = (s: string) => s.replace(/\s+/g, '');
const body = (frame: string) => stripAnsi(frame).split('\n').slice(5, -1).join('\n');

describe('help', () => {
  for (const [columns, rows] of [
    [80, 24],
    [60, 16],
    [160, 50],
  ] as const) {
    it(`at ${columns}x${rows} every description is whole (scrolling with j when it does not fit), nothing cut`, async () => {
      r = renderSized(<CockpitApp state={makeState()} utc env={{}} onCommand={() => undefined} onQuit={() => undefined} />, { columns, rows });
      await r.press('?');
      let seen = body(r.lastFrame());
      let frame = stripAnsi(r.lastFrame());
      const scrolls = /j\/k scroll/.test(frame);
      if (columns === 160) expect(scrolls).toBe(false);
      for (let i = 0; i < 80 && /j\/k scroll/.test(frame) && !/(\d+)-(\d+)\/\2 /.test(frame); i++) {
        await r.press('j');
        frame = stripAnsi(r.lastFrame());
        seen += '\n' + body(r.lastFrame());
      }
      for (const line of frame.split('\n')) expect(line.length).toBeLessThanOrEqual(columns - 1);
      expect(seen).not.toContain('…');
      for (const b of KEYMAP) expect(squash(seen), b.description).toContain(squash(b.description));
    });
  }
});
