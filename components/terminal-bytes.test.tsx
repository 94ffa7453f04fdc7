/**
 * The byte budget on a real Ink render into a fake TTY (bench/terminal-bytes.ts).
 * Nothing here imports Ink statically: the bench loads it with a terminal's
 * environment (not CI), which only works while this file's module graph has
 * not loaded it yet.
 */
import { describe, expect, it } from 'vitest';

describe('terminal bytes per update', () => {
  it('one gate value costs at most 512 bytes and no update clears the screen, at 80x24 and 160x50', async () => {
    const { measureTerminalBytes, TARGET_ONE_VALUE_BYTES } = await import('../bench/terminal-bytes.js');
    const r = await measureTerminalBytes();
    for (const s of r.sizes) {
      expect(s.firstFrameBytes).toBeGreaterThan(1000);
      expect(s.colors).toBe(true);
      expect(s.oneValueBytes).toBeGreaterThan(0);
      expect(s.oneValueBytes).toBeLessThanOrEqual(TARGET_ONE_VALUE_BYTES);
      // (At 80x24 few gate rows show: values changed off screen cost nothing, and only the cells that differ are sent.)
      expect(s.tenValuesBytes).toBeGreaterThan(0);
      expect(s.screenMatches).toBe(true);
      expect(s.fullClear).toBe(false);
      // Incremental: a change is far smaller than the frame.
      expect(s.tenValuesBytes).toBeLessThan(s.firstFrameBytes / 2);
    }
    expect(r.pass).toBe(true);
  });
});
