import { styledCharsFromTokens, tokenize } from '@alcalzone/ansi-tokenize';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../src/simulator/prng.js';
import { STANDALONE } from './string-width-fast.js';
import { rememberedCounts, standaloneStyledChars } from './styled-chars-fast.js';

/** What Ink's Output reads a line as (its OutputCaches#getStyledChars). */
const inkStyledChars = (s: string) => styledCharsFromTokens(tokenize(s)).filter((c) => !/^\p{Default_Ignorable_Code_Point}+$/u.test(c.value));

const SGR = ['\u001b[31m', '\u001b[39m', '\u001b[1m', '\u001b[22m', '\u001b[2m', '\u001b[7m', '\u001b[27m', '\u001b[38;2;10;200;30m', '\u001b[1;3;31m', '\u001b[0m', '\u001b[m', '\u001b[44m', '\u001b[49m'];

describe('standaloneStyledChars', () => {
  it("reads every standalone character as ansi-tokenize does: alone, beside a letter, styled", () => {
    for (const [lo, hi] of STANDALONE) {
      for (let c = lo; c <= hi; c++) {
        const ch = String.fromCharCode(c);
        for (const s of [ch, `a${ch}`, `${ch}a`, `${ch}${ch}`, `\u001b[31m${ch}\u001b[39m ${ch}`]) {
          expect([c, s, standaloneStyledChars(s)]).toEqual([c, s, inkStyledChars(s)]);
        }
      }
    }
  });

  it('reads random rows of styles and standalone characters as ansi-tokenize does, and leaves anything else to it', () => {
    const r = mulberry32(14);
    const chars = STANDALONE.flatMap(([lo, hi]) => [lo, hi, lo + Math.floor((hi - lo) / 2)]).map((c) => String.fromCharCode(c));
    for (let n = 0; n < 5_000; n++) {
      let s = '';
      for (let i = 0, len = Math.floor(r() * 16); i < len; i++) s += r() < 0.3 ? SGR[Math.floor(r() * SGR.length)] : chars[Math.floor(r() * chars.length)];
      expect([s, standaloneStyledChars(s)]).toEqual([s, inkStyledChars(s)]);
    }
    for (const other of ['e\u0301', '👍', '中', '\u00ad', '\t', '\u001b]8;;x\u0007l\u001b]8;;\u0007', '\u001b[?25l', '\u001b[31', 'a\u200db']) {
      expect([other, standaloneStyledChars(`ok ${other}`)]).toEqual([other, undefined]);
    }
  });

  it('gives the characters of a run one styles array, and a character in the same styles one object in every row', () => {
    const chars = standaloneStyledChars('\u001b[32m✓ ok\u001b[39m x')!;
    expect(chars[0]!.styles).toBe(chars[3]!.styles);
    expect(chars[4]!.styles).toEqual([]);
    const again = standaloneStyledChars('\u001b[32mok\u001b[39m')!;
    expect(again[0]).toBe(chars[2]);
    expect(again[1]).toBe(chars[3]);
  });

  it('remembers a bounded number of styles and characters, and reads rows the same past the bound', () => {
    for (let i = 0; i < 6_000; i++) {
      const s = `\u001b[38;2;${i % 256};${Math.floor(i / 256)};7m${String.fromCharCode(0x2500 + (i % 200))}x\u001b[39m`;
      expect([s, standaloneStyledChars(s)]).toEqual([s, inkStyledChars(s)]);
    }
    const n = rememberedCounts();
    expect(n.transitions).toBeLessThanOrEqual(4096);
    expect(n.chars).toBeLessThanOrEqual(65_536);
    expect(n.transitions).toBe(4096);
  });
});
