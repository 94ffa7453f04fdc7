/**
 * The row-cached output stage draws what Ink's own Output#get draws, byte for
 * byte: random frames of one-line writes (side by side, touching, overlapping,
 * cut by clips, outside the frame, with transformers) drawn both ways.
 */
import chalk from 'chalk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Output from '../node_modules/ink/build/output.js';
import { inkOutputGet, outputStageStats } from './ink-output.js';
// Seeded, so a failure names a reproducible frame.
import { mulberry32 } from '../src/simulator/prng.js';

type Transformer = (line: string, index: number) => string;
interface Clip {
  x1?: number;
  x2?: number;
  y1?: number;
  y2?: number;
}
interface OutputLike {
  width: number;
  height: number;
  write(x: number, y: number, text: string, options: { transformers: Transformer[] }): void;
  clip(clip: Clip): void;
  unclip(): void;
  get(): { output: string; height: number };
}

let level: typeof chalk.level = 0;
beforeAll(() => {
  level = chalk.level;
  chalk.level = 3;
});
afterAll(() => {
  chalk.level = level;
});

// Text as the cockpit writes it, and what a plan, a node or Prometheus may put in a label.
const WORDS = ['ok', 'error-rate', '15.2%', ' ', '  ', '●', '│', '─', '✓', '▶', '…', 'äö', '中文', '👍', 'e\u0301', '\t', '\u200b', '\u00a0', 'x\u00a0'];
const STYLES: Array<(s: string) => string> = [
  (s) => s,
  (s) => chalk.red(s),
  (s) => chalk.bold.green(s),
  (s) => chalk.inverse(s),
  (s) => chalk.dim(s),
  (s) => chalk.bgBlue(s),
  (s) => chalk.hex('#ff8800')(s),
];
const TRANSFORMERS: Transformer[] = [(s) => s, (s) => chalk.bold(s), (s) => chalk.inverse(s), (s) => chalk.dim(chalk.yellow(s)), (s) => `${s}!`, (s) => s.toUpperCase()];

function randomText(r: () => number): string {
  let t = '';
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) t += STYLES[Math.floor(r() * STYLES.length)]!(WORDS[Math.floor(r() * WORDS.length)]!);
  return t;
}

function randomClip(r: () => number, width: number, height: number): Clip {
  const c: Clip = {};
  if (r() < 0.8) {
    c.x1 = Math.floor(r() * width * 0.5) - 1;
    c.x2 = c.x1 + Math.floor(r() * width * 1.2);
  }
  if (r() < 0.8) {
    c.y1 = Math.floor(r() * height) - 1;
    c.y2 = c.y1 + Math.floor(r() * (height + 1));
  }
  return c;
}

type Op = { type: 'write'; x: number; y: number; text: string; transformers: Transformer[] } | { type: 'clip'; clip: Clip } | { type: 'unclip' };
interface Frame {
  width: number;
  height: number;
  ops: Op[];
}

function randomFrame(r: () => number): Frame {
  const width = 4 + Math.floor(r() * 40);
  const height = 1 + Math.floor(r() * 4);
  const ops: Op[] = [];
  let open = 0;
  const n = Math.floor(r() * 10);
  for (let i = 0; i < n; i++) {
    const k = r();
    if (k < 0.15) {
      ops.push({ type: 'clip', clip: randomClip(r, width, height) });
      open++;
    } else if (k < 0.25 && open > 0) {
      ops.push({ type: 'unclip' });
      open--;
    } else {
      // Mostly side by side: x at a column a write may end on, sometimes anywhere (overlaps, off the frame).
      const x = r() < 0.7 ? Math.floor(r() * width) : Math.floor(r() * (width + 10)) - 5;
      const y = Math.floor(r() * (height + 1)) - (r() < 0.1 ? 1 : 0);
      ops.push({ type: 'write', x, y, text: randomText(r), transformers: r() < 0.5 ? [] : [TRANSFORMERS[Math.floor(r() * TRANSFORMERS.length)]!] });
    }
  }
  return { width, height, ops };
}

/** The frame with one thing changed that the row cache compares: a write's x, text or transformer, or a clip's bounds. */
function changedFrame(r: () => number, f: Frame): Frame {
  const ops = f.ops.map((o) => ({ ...o }));
  if (ops.length === 0) return f;
  const i = Math.floor(r() * ops.length);
  const o = ops[i]!;
  const k = r();
  if (o.type === 'write') {
    if (k < 0.3) o.x += r() < 0.5 ? 1 : -1;
    else if (k < 0.6) o.text = `${o.text}${WORDS[Math.floor(r() * WORDS.length)]}`;
    else if (k < 0.8 || o.transformers.length === 0) o.transformers = o.transformers.length ? [] : [TRANSFORMERS[1]!];
    else o.transformers = [TRANSFORMERS[(TRANSFORMERS.indexOf(o.transformers[0]!) + 2) % TRANSFORMERS.length]!];
  } else if (o.type === 'clip') {
    o.clip = k < 0.5 ? { ...o.clip, x2: (o.clip.x2 ?? f.width) - 1 } : { ...o.clip, y1: (o.clip.y1 ?? 0) + 1 };
  }
  return { ...f, ops };
}

function outputOf(f: Frame): OutputLike {
  const o = new Output({ width: f.width, height: f.height }) as unknown as OutputLike;
  for (const op of f.ops) {
    if (op.type === 'clip') o.clip(op.clip);
    else if (op.type === 'unclip') o.unclip();
    else o.write(op.x, op.y, op.text, { transformers: op.transformers });
  }
  return o;
}

describe("the row-cached Output#get", () => {
  it("draws 20,000 random frames of one-line writes exactly as Ink's Output#get, each followed by itself with one thing changed", () => {
    const r = mulberry32(14);
    const before = { ...outputStageStats };
    for (let n = 0; n < 20_000; n++) {
      const frame = randomFrame(r);
      // Drawn after the frame before, so unchanged rows come from the last frame's rows.
      for (const f of [frame, changedFrame(r, frame)]) {
        expect([n, f, outputOf(f).get()]).toEqual([n, f, inkOutputGet.call(outputOf(f))]);
      }
    }
    // Both ways of drawing a new row were taken many times.
    const sideBySide = outputStageStats.rowsSideBySide - before.rowsSideBySide;
    const drawn = outputStageStats.rowsDrawn - before.rowsDrawn;
    expect(sideBySide).toBeGreaterThan(5_000);
    expect(drawn - sideBySide).toBeGreaterThan(5_000);
  });

  it('draws a cockpit row of side-by-side writes without a grid, and a row whose styled writes touch through Ink', () => {
    const o = new Output({ width: 40, height: 2 }) as unknown as OutputLike;
    o.clip({ x1: 0, x2: 40, y1: 0, y2: 2 });
    o.write(0, 0, `${chalk.green('✓ ok')} error-rate`, { transformers: [] });
    o.write(20, 0, chalk.red('15.2%'), { transformers: [] });
    o.write(0, 1, chalk.red('ab'), { transformers: [] });
    o.write(2, 1, chalk.red('cd'), { transformers: [] });
    o.unclip();
    const before = { ...outputStageStats };
    const got = o.get();
    expect(outputStageStats.rowsDrawn - before.rowsDrawn).toBe(2);
    expect(outputStageStats.rowsSideBySide - before.rowsSideBySide).toBe(1);
    expect(got).toEqual(inkOutputGet.call(o));
    // One style run across the seam, as Ink serialises its grid.
    expect(got.output.split('\n')[1]).toBe(chalk.red('abcd'));
  });
});
