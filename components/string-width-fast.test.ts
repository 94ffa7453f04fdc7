import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import fastStringWidth, { STANDALONE } from './string-width-fast.js';
// Seeded, so a failure names a reproducible string.
import { mulberry32 } from '../src/simulator/prng.js';

// The cockpit's own glyphs and styles, and what a plan, a node or Prometheus may put in a label.
const POOL = [
  ...'abcXYZ019 .,:;|/-_%()[]{}<>~',
  ...'●○◐✓✗▶▷↺⟳→←↑↓…─│┌┐└┘├┤┬┴┼▁▂▃▄▅▆▇█⠋⠙⠹⠸░▒▓•·°±×÷«»äöüßéñ',
  '\u001b[31m', '\u001b[39m', '\u001b[1m', '\u001b[22m', '\u001b[7m', '\u001b[27m', '\u001b[38;2;10;200;30m', '\u001b[0m', '\u001b[2m',
  // Joiners, combining marks, variation selectors, emoji, CJK, Hangul jamo, controls, other escapes.
  '\u0301', '\u200d', '\ufe0f', '\u20e3', '👍', '👍🏽', '👨‍👩‍👧', '🇩🇪', '⌚', '⚡', '✅', '中文', 'ｶﾞ', '\u1100\u1161', '한', '\t', '\u007f', '\u00ad',
  '\u001b]8;;https://example.com\u0007link\u001b]8;;\u0007', '\u001b[?25l', '\u001b[1:2m', '\u009b31m', 'ก\u0e31', 'क्ष',
];

describe('fastStringWidth', () => {
  it('agrees with string-width on 20,000 random strings of the cockpit glyphs, styles and harder text', () => {
    const r = mulberry32(14);
    for (let n = 0; n < 20_000; n++) {
      let s = '';
      const len = 1 + Math.floor(r() * 12);
      for (let i = 0; i < len; i++) s += POOL[Math.floor(r() * POOL.length)];
      expect([s, fastStringWidth(s)]).toEqual([s, stringWidth(s)]);
    }
  });

  it('agrees on every character of its standalone ranges, alone and after an ASCII letter', () => {
    for (const [lo, hi] of [[0x20, 0x24f], [0x2010, 0x205e], ...STANDALONE]) {
      for (let c = lo; c <= hi; c++) {
        const ch = String.fromCharCode(c);
        expect([c, fastStringWidth(ch), fastStringWidth(`a${ch}`)]).toEqual([c, stringWidth(ch), stringWidth(`a${ch}`)]);
      }
    }
  });

  it('passes string-width options through', () => {
    expect(fastStringWidth('\u001b[31mab\u001b[39m', { countAnsiEscapeCodes: true })).toBe(stringWidth('\u001b[31mab\u001b[39m', { countAnsiEscapeCodes: true }));
    expect(fastStringWidth('±·', { ambiguousIsNarrow: false })).toBe(stringWidth('±·', { ambiguousIsNarrow: false }));
    expect(fastStringWidth('')).toBe(0);
  });
});
