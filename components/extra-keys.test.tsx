/** A view's own keys (replay): they run, win over the cockpit's, show in the help and footer; the banner shows. */
import React from 'react';
import { render, cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { CockpitApp } from './CockpitApp.js';
import { viewBindings } from './keymap.js';
import { stripAnsi, waitForFrame } from './testing/render.js';
import { makeState } from '../test/helpers/state-fixture.js';

afterEach(() => cleanup());

it('runs extra keys before the cockpit\'s own, lists them, and shows the banner', async () => {
  const ran: string[] = [];
  const commands: string[] = [];
  const r = render(
    <CockpitApp
      state={makeState()}
      utc
      env={{}}
      readonly
      extras={{ banner: 'REPLAY 12:00:00 +0s of 10m ×10 (paused)' }}
      extraKeys={[
        { keys: ['space'], label: 'play/pause', run: () => ran.push('pause') },
        { keys: ['.'], label: 'step', run: () => ran.push('step') },
        { keys: [','], label: 'rewind', run: () => ran.push('rewind') },
      ]}
      onCommand={(c) => commands.push(c.type)}
      onQuit={() => undefined}
    />,
  );
  const frame = () => stripAnsi(r.lastFrame() ?? '');
  expect(frame()).toMatch(/REPLAY 12:00:00/);
  expect(frame().split('\n').at(-1)).toMatch(/Space:play\/pause .:step ,:rewind/);
  r.stdin.write(' ');
  await waitForFrame();
  r.stdin.write('.');
  await waitForFrame();
  r.stdin.write(',');
  await waitForFrame();
  expect(ran).toEqual(['pause', 'step', 'rewind']);
  expect(commands).toEqual([]);
  r.stdin.write('?');
  await waitForFrame();
  expect(frame()).toMatch(/This view:/);
  expect(frame()).toMatch(/Space\s+play\/pause/);
});

it('runs each key of a burst that arrives as one string', async () => {
  const ran: string[] = [];
  const r = render(
    <CockpitApp state={makeState()} utc env={{}} extraKeys={[{ keys: ['+'], label: 'forward', run: () => ran.push('+') }]} onCommand={() => undefined} onQuit={() => undefined} />,
  );
  r.stdin.write('+++');
  await waitForFrame();
  expect(ran).toEqual(['+', '+', '+']);
});

describe('the binding table refuses a view whose keys clash with the cockpit\'s', () => {
  it('viewBindings throws naming both bindings, and accepts keys the cockpit leaves free', () => {
    const run = () => undefined;
    expect(() => viewBindings([{ keys: [{ char: 'g' }], description: 'to the start', run }])).toThrow(/g is "to the start" \(replay\) and "first row" \(list\)/);
    expect(() => viewBindings([{ keys: [{ char: 'r' }], description: 'rewind', run }])).toThrow(/"poll now" \(global\)/);
    expect(() => viewBindings([{ keys: [{ char: '{' }], description: 'a', run }, { keys: [{ char: '{' }], description: 'b', run }])).toThrow(/\{ is "b" and "a"/);
    expect(viewBindings([{ keys: [{ char: ' ' }], description: 'play', run }, { keys: [{ char: '}' }], description: 'to the end', run }]).map((b) => b.scope)).toEqual(['replay', 'replay']);
  });

  it('a cockpit built with a clashing view key fails at once, before any key is pressed', async () => {
    const r = render(<CockpitApp state={makeState()} utc env={{}} extraKeys={[{ keys: ['G'], label: 'to the end', run: () => undefined }]} onCommand={() => undefined} onQuit={() => undefined} />);
    // Ink 8 draws its error screen, then exits (the last frame is empty): the error is among the frames.
    await new Promise((res) => setTimeout(res, 50));
    expect(stripAnsi(r.frames.join('\n'))).toMatch(/key conflict in the replay view: G is "to the end" \(replay\) and "last row" \(list\)/);
  });
});
