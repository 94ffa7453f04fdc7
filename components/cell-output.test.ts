/**
 * The cell-diff output stage (cell-output.ts): what it writes for a frame
 * after another, byte for byte, and what a terminal fed those bytes shows.
 */
import { describe, expect, it } from 'vitest';
import { styledCharsFromTokens, tokenize } from '@alcalzone/ansi-tokenize';
import { createCellOutput, parseRow } from './cell-output.js';
import { Screen } from './testing/screen.js';

const RED = '\u001b[31m';
const FG_OFF = '\u001b[39m';

function term(columns = 20, rows = 5) {
  const screen = new Screen(columns, rows);
  const writes: string[] = [];
  const stream = {
    columns,
    rows,
    isTTY: true,
    write(s: string) {
      writes.push(s);
      screen.write(s);
      return true;
    },
  };
  const log = createCellOutput(stream as unknown as NodeJS.WriteStream);
  /** Renders `text` and returns what it wrote. */
  const frame = (text: string) => {
    const mark = writes.length;
    log(text);
    return writes.slice(mark).join('');
  };
  return { stream, screen, log, frame };
}

describe('cell-diff output stage', () => {
  it('one changed cell: a cursor move and that character, nothing else', () => {
    const t = term();
    t.frame('status ok\nvalue 0.5%\nlast line');
    const out = t.frame('status ok\nvalue 0.7%\nlast line');
    // From the end of the last row: one row up, to column 9.
    expect(out).toBe('\u001b[A\u001b[9G7');
    expect(t.screen.lines().slice(0, 3)).toEqual(['status ok', 'value 0.7%', 'last line']);
  });

  it('a style change only: the same characters are written again in the new style, then the style is reset', () => {
    const t = term();
    t.frame('gate ok\nnext');
    const out = t.frame(`gate ${RED}ok${FG_OFF}\nnext`);
    expect(out).toBe(`\u001b[A\u001b[6G${RED}ok${FG_OFF}`);
    // Nothing written for a frame that did not change.
    expect(t.frame(`gate ${RED}ok${FG_OFF}\nnext`)).toBe('');
  });

  it('a style that stays across a change is not set again, and only what differs is switched', () => {
    const t = term();
    t.frame(`${RED}abc${FG_OFF}\nx`);
    const out = t.frame(`${RED}abd${FG_OFF}\nx`);
    expect(out).toBe(`\u001b[A\u001b[3G${RED}d${FG_OFF}`);
  });

  it('a wide character counts two columns: later cells are addressed by column, a wide character is replaced whole', () => {
    const t = term();
    t.frame('界ab\nx');
    // 'b' sits in column 3 (0-based) behind a two-column character.
    expect(t.frame('界aX\nx')).toBe('\u001b[A\u001b[4GX');
    // A wide character replaced by another: one character, not two.
    expect(t.frame('世aX\nx')).toBe('\r世');
    // Two narrow characters in its place: both columns written.
    expect(t.frame('yzaX\nx')).toBe('\ryz');
  });

  it('a line getting shorter: its end is erased, not overwritten with spaces', () => {
    const t = term();
    t.frame('hello world\nnext');
    const out = t.frame('hello\nnext');
    expect(out).toBe('\u001b[A\u001b[7G\u001b[K');
    expect(t.screen.lines().slice(0, 2)).toEqual(['hello', 'next']);
  });

  it('short unchanged gaps are rewritten rather than jumped over; long ones are jumped', () => {
    const t = term(40);
    t.frame('a1 b2 c3 ............ d4\nz');
    const out = t.frame('a9 b9 c3 ............ d9\nz');
    expect(out).toBe('\u001b[A\u001b[2G9 b9\u001b[24G9');
    expect(t.screen.lines()[0]).toBe('a9 b9 c3 ............ d9');
  });

  it('a new width (resize) or another number of lines: the whole frame again, from its top', () => {
    const t = term();
    t.frame('one\ntwo\nthree');
    t.stream.columns = 30;
    const out = t.frame('one\ntwo\nthreE');
    expect(out).toBe('\u001b[2F\u001b[Jone\ntwo\nthreE');
    const taller = t.frame('one\ntwo\nthreE\nfour');
    expect(taller).toBe('\u001b[2F\u001b[Jone\ntwo\nthreE\nfour');
    expect(t.screen.lines().slice(0, 4)).toEqual(['one', 'two', 'threE', 'four']);
  });

  it('a frame with a trailing newline (shorter than the screen) leaves the cursor below it, as Ink does', () => {
    const t = term();
    t.frame('top\nbottom\n');
    const out = t.frame('top\nbottoM\n');
    expect(out).toBe('\u001b[A\u001b[6GM');
    // clear() erases the frame from its top; the next frame is drawn whole where it was.
    t.log.clear();
    expect(t.screen.lines().slice(0, 2)).toEqual(['', '']);
    t.frame('again\n');
    expect(t.screen.lines().slice(0, 2)).toEqual(['again', '']);
  });

  it('keeps the screen equal to the frame over a sequence of styled frames', () => {
    const t = term(24, 4);
    const frames = [
      `${RED}err${FG_OFF} 12.5%\n\u001b[1mbold\u001b[22m row\nplain\nend`,
      `${RED}err${FG_OFF} 9.5%\n\u001b[1mbold\u001b[22m ROW\nplain but longer\nend`,
      `ok 0.1%\nbold row\npl\nend`,
      `ok 0.1%\nbold row\npl\nend of all`,
    ];
    for (const f of frames) {
      t.frame(f);
      expect(t.screen.lines()).toEqual(f.replace(/\u001b\[[0-9;]*m/g, '').split('\n'));
    }
  });

  it('parses a row into the characters and styles ansi-tokenize gives each (wide characters two cells)', () => {
    const rows = [
      '',
      'plain',
      `\u001b[1;7;39mGATES\u001b[22;27;90m 9: \u001b[32m7 ok\u001b[39m`,
      `\u001b[31m界\u001b[1mx\u001b[0m y \u001b[38;5;208morange\u001b[39m`,
      // What the cockpit draws: box drawing, arrows, state glyphs, sparklines, Latin, truecolour.
      `\u001b[90m── \u001b[1;7;39mGATES\u001b[22;27;90m ▶ ✓ ✗ ● ○ ◌ → … │ ▁▂▃▅▇█ café ±5%\u001b[38;2;10;20;30m rgb\u001b[39m`,
      '⌚ watch ⏩ ☔ ✅ ™ ©',
      // Rows ansi-tokenize reads whole: combining marks, an emoji with its variation selector, a hyperlink.
      'e\u0301 combining, ❤\uFE0F heart, 🇩🇪 flag',
      '\u001b]8;;https://example.com\u0007link\u001b]8;;\u0007 after',
    ];
    for (const r of rows) {
      const want = styledCharsFromTokens(tokenize(r)).flatMap((c) => (c.fullWidth ? [[c.value, c.styles], ['', c.styles]] : [[c.value, c.styles]]));
      expect(parseRow(r).map((c) => [c.ch, c.styles])).toEqual(want);
    }
  });
});
