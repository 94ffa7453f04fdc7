/** compactWrite says what Ink writes in fewer bytes, with the same effect on a terminal. */
import { describe, expect, it } from 'vitest';
import { compactWrite, mergeSgr } from './terminal-writes.js';
import { Screen } from './testing/screen.js';

const E = '\u001b[';

describe('compactWrite', () => {
  it('turns runs of "next line" into one with a count, and the screen ends the same', () => {
    const frame = ['line one', 'line two', 'line three', 'line four', 'line five'].join('\n');
    const update = `${E}4A${E}E${E}E${E}6G${E}Kthree!\n${E}E`;
    expect(compactWrite(update)).toBe(`${E}4A${E}2E${E}6G${E}Kthree!\n${E}E`);
    const a = new Screen(20, 5);
    const b = new Screen(20, 5);
    a.write(frame);
    b.write(frame);
    a.write(update);
    b.write(compactWrite(update));
    expect(b.lines()).toEqual(a.lines());
    expect(a.lines()[2]).toBe('line three!');
  });

  it('merges adjacent SGR sequences into one that leaves every attribute as the last set it', () => {
    expect(mergeSgr(`${E}33m${E}39m${E}33m`)).toBe(`${E}33m`);
    expect(mergeSgr(`${E}1m${E}31m${E}39m${E}22m${E}1m${E}31m${E}22m${E}90m${E}33m`)).toBe(`${E}22;33m`);
    expect(mergeSgr(`${E}22m${E}1m`)).toBe(`${E}22;1m`);
    expect(mergeSgr(`${E}7m${E}0m${E}32m`)).toBe(`${E}0;32m`);
    expect(mergeSgr(`${E}38;5;208m${E}39m${E}1m`)).toBe(`${E}1;39m`);
  });

  it('leaves a run with a code it does not model as it is', () => {
    const run = `${E}53m${E}31m`;
    expect(mergeSgr(run)).toBe(run);
    expect(compactWrite(`x${run}y`)).toBe(`x${run}y`);
  });

  it('leaves text without escapes alone', () => {
    expect(compactWrite('plain\ntext')).toBe('plain\ntext');
  });
});
