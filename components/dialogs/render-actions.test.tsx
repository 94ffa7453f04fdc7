/** renderCockpit hands `actions` to the dialogs: p opens the promote dialog on a real (fake) TTY, and Tab, Enter promote once. */
import { afterEach, describe, expect, it } from 'vitest';
import type { CockpitHandle } from '../../src/ui-contract.js';
import { renderCockpit } from '../render-cockpit.js';
import { KEYS } from '../testing/render.js';
import { FakeStdin, FakeTty } from '../testing/tty.js';
import { makeState } from '../../test/helpers/state-fixture.js';
import { fakeActions } from './testing.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let handles: CockpitHandle[] = [];
afterEach(() => {
  for (const h of handles) h.unmount();
  handles = [];
});

describe('renderCockpit with actions', () => {
  it('p opens the promote dialog; Enter alone cancels; Tab, Enter promotes once; q quits when nothing runs', async () => {
    const tty = new FakeTty(80, 24);
    const stdin = new FakeStdin();
    const actions = fakeActions({ outcome: { ok: true, summary: 'promote finished in 2s' } });
    let quits = 0;
    const handle = renderCockpit({
      getState: () => makeState(),
      subscribe: () => () => {},
      onCommand: () => {},
      onQuit: () => quits++,
      readonly: false,
      noColor: false,
      ascii: false,
      tickMs: 0,
      actions,
      stdout: tty as unknown as NodeJS.WriteStream,
      stderr: tty as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
      alternateScreen: false,
    });
    handles.push(handle);
    const press = async (k: string) => {
      stdin.press(k);
      await sleep(120);
    };
    await sleep(50);
    await press('p');
    await press(KEYS.enter);
    expect(actions.calls.promote).toEqual([]);
    await press('p');
    await press(KEYS.tab);
    await press(KEYS.enter);
    expect(actions.calls.promote).toEqual([{ stageId: 'canary-10' }]);
    await press(KEYS.enter);
    await press('q');
    expect(quits).toBe(1);
    // (Under CI=true Ink writes frames only at unmount, so the calls are what is checked here.)
  });
});
