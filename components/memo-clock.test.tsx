/** Panels skip re-rendering when only the clock moved and none of their relative times changed. */
import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { Text } from 'ink';
import { memoOnClock } from './memo-clock.js';
import { gatesClockTexts, type GatesPanelProps } from './GatesPanel.js';
import { renderSized, waitForFrame, type SizedRender } from './testing/render.js';
import { makeFullState } from '../test/helpers/state-fixture.js';

let open: SizedRender[] = [];
afterEach(() => {
  for (const r of open) r.unmount();
  open = [];
});

describe('memoOnClock', () => {
  it('re-renders on a clock move only when the clock texts change, and on any other prop', async () => {
    let renders = 0;
    const Panel = memoOnClock(
      function Panel(p: { now: number; label: string }) {
        renders++;
        return <Text>{`${p.label} ${Math.floor(p.now / 10)}`}</Text>;
      },
      (p) => String(Math.floor(p.now / 10)),
    );
    let set: (s: { now: number; label: string }) => void = () => {};
    function Driver() {
      const [s, setS] = React.useState({ now: 0, label: 'a' });
      set = setS;
      return <Panel now={s.now} label={s.label} />;
    }
    const r = renderSized(<Driver />, { columns: 40, rows: 5 });
    open.push(r);
    await waitForFrame();
    expect(renders).toBe(1);
    set({ now: 5, label: 'a' });
    await waitForFrame();
    expect(renders).toBe(1);
    set({ now: 12, label: 'a' });
    await waitForFrame();
    expect(renders).toBe(2);
    expect(r.lastFrame()).toContain('a 1');
    set({ now: 13, label: 'b' });
    await waitForFrame();
    expect(renders).toBe(3);
    expect(r.lastFrame()).toContain('b 1');
  });

  it("the gates panel's clock texts follow each gate's since and fails-in", () => {
    const s = makeFullState({ gates: 8, nodes: 3, alerts: 0, events: 0 });
    const p = (now: number) => ({ gates: s.gates, list: s.gates, filter: '', editing: false, selectedId: undefined, top: 0, width: 120, height: 20, focused: false, now, stateNow: s.now }) satisfies GatesPanelProps;
    const since = Math.max(...s.gates.map((g) => g.since));
    // Far enough on, some gate's coarse "since" moves on.
    expect(gatesClockTexts(p(since + 1_000))).not.toBe(gatesClockTexts(p(since + 3 * 3_600_000)));
  });
});
