/** Sparklines and themes: the ASCII ramp, NO_COLOR. */
import { describe, expect, it } from 'vitest';
import { asciiSpark, colorDisabled, makeTheme, unicodeSpark } from './theme.js';

describe('sparklines and themes', () => {
  it('ASCII sparkline uses the ramp and holes', () => {
    expect(asciiSpark([0, 1, 2, 3, 4, 5, 6, 7], 8)).toBe('_.:-=+*#');
    expect(asciiSpark([1, null, 1], 5)).toBe('- -  ');
    expect(asciiSpark([1, 2, 3, 4], 2)).toBe('_#');
    expect(unicodeSpark([0, 7], 3)).toBe('▁█ ');
  });

  it('NO_COLOR set to anything but empty turns colour off', () => {
    expect(colorDisabled(false, { NO_COLOR: '1' })).toBe(true);
    expect(colorDisabled(false, { NO_COLOR: '' })).toBe(false);
    expect(colorDisabled(true, {})).toBe(true);
    const t = makeTheme({ noColor: true, ascii: true });
    expect(Object.values(t.styles).some((s) => s.color)).toBe(false);
    expect(JSON.stringify(t.glyphs)).toMatch(/^[\x20-\x7e]*$/);
  });
});
