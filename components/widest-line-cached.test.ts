import widestLine from 'widest-line';
import { expect, it } from 'vitest';
import cachedWidestLine from './widest-line-cached.js';

it('measures as widest-line does (ANSI codes, wide characters, several lines), the first time and from memory', () => {
  const texts = ['', 'plain', '\u001b[1;31mAUTO-ROLLBACK\u001b[22;39m in 29s', '界 wide', 'one\nlonger line\n'];
  for (let round = 0; round < 2; round++) for (const t of texts) expect(cachedWidestLine(t)).toBe(widestLine(t));
  expect(cachedWidestLine('界 wide')).toBe(7);
});

it('stays bounded: texts from long ago are measured again, still right', () => {
  for (let i = 0; i < 10_000; i++) expect(cachedWidestLine(`row ${i}`)).toBe(4 + String(i).length);
  expect(cachedWidestLine('row 1')).toBe(5);
});
