/**
 * Render cost: the time one cockpit frame takes (React reconcile, Yoga
 * layout, Ink's output and its incremental diff) for a dashboard of 50 gates
 * and 500 nodes. CockpitApp is rendered by the real Ink (incremental
 * rendering and the cell-diff output stage, as the cockpit runs) into a fake
 * TTY and re-rendered with a changing state; each rerender is timed until its
 * bytes are written.
 *
 * Two kinds of frame: a poll (10 gate values and every node's probe change,
 * the clock moves) and a tick (only the clock moves: the countdowns the
 * cockpit repaints between polls: every second while something moves, every 5 s when idle).
 *
 * React picks its production or development build from NODE_ENV when it is
 * first imported, so run this in a fresh process:
 *   node scripts/build.mjs --bench && node dist/bench/render-cost.js [--json] [--frames N]
 */
import { pathToFileURL } from 'node:url';
// First: Ink as the bundle has it (its widest-line memoised).
import { asShipped } from './as-shipped.js';
import type { EngineState } from '../src/engine/types.js';
import { percentile, round } from './figures.js';

export interface FrameStats {
  frames: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  meanMs: number;
  /** Bytes written per frame on average (incremental output). */
  meanBytes: number;
  /** CPU time of this process per frame (user + system): steadier than wall time on a loaded machine. */
  cpuP50Ms: number;
  cpuP95Ms: number;
}

export interface RenderCostSize {
  columns: number;
  rows: number;
  poll: FrameStats;
  tick: FrameStats;
  /** The poll frames of the warm-up, not counted above: the first frames a cockpit draws, while V8 is still compiling its code. */
  firstPolls: FrameStats;
  /**
   * The same poll frames drawn whole by Ink's non-incremental renderer
   * (renderToString: a fresh tree, layout and output per frame, no diff, nothing
   * kept from the frame before): what the frame would cost without rendering
   * only what changed. meanBytes: the whole frame's length.
   */
  full: FrameStats;
}

export interface RenderCostReport {
  gates: number;
  nodes: number;
  sizes: RenderCostSize[];
}

async function loadForTerminal() {
  const [react, ink, app, fixture, tty, cells] = await Promise.all([
    import('react'),
    import('ink'),
    import('../components/CockpitApp.js'),
    import('../test/helpers/state-fixture.js'),
    import('../components/testing/tty.js'),
    import('../components/cell-output.js'),
  ]);
  return {
    React: react.default,
    render: ink.render,
    renderToString: ink.renderToString,
    CockpitApp: app.CockpitApp,
    fixture,
    FakeTty: tty.FakeTty,
    FakeStdin: tty.FakeStdin,
    cellOutputStream: cells.cellOutputStream,
  };
}

/** Fails the run when Ink was loaded without the memoised widest-line (the figures would not be the shipped cockpit's). */
function assertAsShipped(): void {
  if (asShipped.widestLineResolved === 0) throw new Error("Ink's widest-line was not replaced by the memoised one: bench/as-shipped.js must load before Ink");
  if (asShipped.stringWidthResolved === 0) throw new Error("Ink's string-width was not replaced by components/string-width-fast: bench/as-shipped.js must load before Ink");
  if (asShipped.squashResolved === 0) throw new Error("Ink's squash-text-nodes was not replaced by components/squash-text-cached: bench/as-shipped.js must load before Ink");
}

function stats(times: number[], bytes: number[], cpu: number[]): FrameStats {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return {
    frames: times.length,
    p50Ms: round(percentile(times, 50), 2),
    p95Ms: round(percentile(times, 95), 2),
    maxMs: round(Math.max(...times), 2),
    meanMs: round(mean(times), 2),
    meanBytes: Math.round(mean(bytes)),
    cpuP50Ms: round(percentile(cpu, 50), 2),
    cpuP95Ms: round(percentile(cpu, 95), 2),
  };
}

/** Poll and tick frame pairs drawn before any is counted (and the whole-frame reference's warm-up). */
export const WARMUP_PAIRS = 150;

const nextMacrotask = () => new Promise<void>((r) => setTimeout(r, 2));

async function measureAt(columns: number, rows: number, frames: number, gates: number, nodes: number): Promise<RenderCostSize> {
  const { React, render, renderToString, CockpitApp, fixture, FakeTty, FakeStdin, cellOutputStream } = await loadForTerminal();
  assertAsShipped();
  const tty = new FakeTty(columns, rows);
  const stdin = new FakeStdin();
  const base: EngineState = fixture.makeFullState({ gates, nodes, alerts: 12, events: 200 });
  const okGates = base.gates.filter((g) => g.state === 'ok').map((g) => g.id);
  // Frames come the way the live cockpit (Cockpit.tsx) makes them: a state update inside the tree, not
  // Ink's rerender(), which hands every <Text> and <Box> a new context value and so re-renders them all.
  let setFrame: ((f: { state: EngineState; now: number }) => void) | undefined;
  function Driver() {
    const [f, set] = React.useState({ state: base, now: base.now });
    setFrame = set;
    return React.createElement(CockpitApp, { state: f.state, now: f.now, readonly: false });
  }
  const instance = render(React.createElement(Driver), {
    // As renderCockpit mounts it: frames written by the cell-diff output stage.
    stdout: cellOutputStream(tty as unknown as NodeJS.WriteStream),
    stderr: tty as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    interactive: true,
    incrementalRendering: true,
    // Past Ink's 1 ms floor, so each rerender (2 ms apart) renders at once: we time frames, not the throttle.
    maxFps: 1000,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  let state = base;
  const pollState = (i: number): EngineState => {
    let s = state;
    for (let k = 0; k < 10; k++) {
      const id = okGates[(i * 10 + k) % okGates.length]!;
      s = fixture.withGateValue(s, id, Number((0.01 + ((i * 7 + k * 3) % 40) * 0.0005).toFixed(4)));
    }
    const now = base.now + i * 1000;
    return {
      ...s,
      now,
      nodes: s.nodes.map((n, j) => (n.last ? { ...n, last: { ...n.last, at: now - 200, latencyMs: 5 + ((i + j * 13) % 60) } } : n)),
      polling: { ...s.polling, lastPollAt: now - 300, lastDurationMs: 180 + (i % 40), nextPollAt: now + 5000 },
    };
  };
  const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
  const time = async (next: EngineState, now: number): Promise<{ ms: number; bytes: number; cpu: number }> => {
    await nextMacrotask();
    const before = tty.chunks.length;
    const bytes0 = tty.bytes;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    setFrame!({ state: next, now });
    // Ink renders a rerender synchronously when past its throttle; wait for the write if it did not.
    let spins = 0;
    while (tty.chunks.length === before && spins++ < 200) await new Promise<void>((r) => setImmediate(r));
    const ms = performance.now() - t0;
    // A frame that changes nothing on screen writes nothing: its "time" would be this loop's 200 turns, not a frame.
    if (tty.chunks.length === before) throw new Error(`a frame at ${columns}x${rows} (now ${now}) wrote nothing: nothing on its screen changed, so it cannot be timed to its write`);
    return { ms, bytes: tty.bytes - bytes0, cpu: cpuMs(process.cpuUsage(c0)) };
  };
  try {
    // Counted after a warm-up of WARMUP_PAIRS poll and tick frames (~2.5 minutes of a live cockpit, which
    // draws a tick a second while a countdown moves): the figures are the cockpit's steady state, not V8
    // compiling its code. The warm-up's poll frames are reported beside them (firstPolls).
    const warmup = WARMUP_PAIRS;
    const firstPolls: number[] = [];
    const firstPollBytes: number[] = [];
    const firstPollCpu: number[] = [];
    const poll: number[] = [];
    const pollBytes: number[] = [];
    const tick: number[] = [];
    const tickBytes: number[] = [];
    const pollCpu: number[] = [];
    const tickCpu: number[] = [];
    for (let i = 1; i <= warmup + frames; i++) {
      state = pollState(i);
      const p = await time(state, state.now);
      // A tick: the same state a second later (the header's clock moves; at +500 ms it did not, and
      // the frame wrote nothing).
      const t = await time(state, state.now + 1000);
      if (i <= warmup) {
        firstPolls.push(p.ms);
        firstPollBytes.push(p.bytes);
        firstPollCpu.push(p.cpu);
      } else {
        poll.push(p.ms);
        pollBytes.push(p.bytes);
        tick.push(t.ms);
        tickBytes.push(t.bytes);
        pollCpu.push(p.cpu);
        tickCpu.push(t.cpu);
      }
    }
    if (pollBytes.every((b) => b === 0)) throw new Error('Ink wrote nothing');
    // The reference: the same poll frames, each drawn whole from a fresh tree.
    const full: number[] = [];
    const fullBytes: number[] = [];
    const fullCpu: number[] = [];
    state = base;
    for (let i = 1; i <= warmup + frames; i++) {
      state = pollState(i);
      const el = React.createElement(CockpitApp, { state, now: state.now, readonly: false, size: { columns, rows } });
      await nextMacrotask();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const out = renderToString(el, { columns });
      const ms = performance.now() - t0;
      const cpu = cpuMs(process.cpuUsage(c0));
      if (i > warmup) {
        fullCpu.push(cpu);
        full.push(ms);
        fullBytes.push(Buffer.byteLength(out));
      }
    }
    return {
      columns,
      rows,
      poll: stats(poll, pollBytes, pollCpu),
      tick: stats(tick, tickBytes, tickCpu),
      firstPolls: stats(firstPolls, firstPollBytes, firstPollCpu),
      full: stats(full, fullBytes, fullCpu),
    };
  } finally {
    instance.unmount();
  }
}

export async function measureRenderCost(o: { frames?: number; gates?: number; nodes?: number; sizes?: Array<[number, number]> } = {}): Promise<RenderCostReport> {
  const gates = o.gates ?? 50;
  const nodes = o.nodes ?? 500;
  const sizes: RenderCostSize[] = [];
  for (const [c, r] of o.sizes ?? [[80, 24], [160, 50]]) sizes.push(await measureAt(c, r, o.frames ?? 200, gates, nodes));
  return { gates, nodes, sizes };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--frames');
  const frames = i > 0 ? Number(process.argv[i + 1]) : undefined;
  measureRenderCost({ frames }).then(
    (r) => {
      if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(r)}\n`);
      else
        for (const s of r.sizes)
          process.stdout.write(
            `${s.columns}x${s.rows}: poll p50 ${s.poll.p50Ms} ms p95 ${s.poll.p95Ms} ms max ${s.poll.maxMs} ms; tick p50 ${s.tick.p50Ms} ms p95 ${s.tick.p95Ms} ms; whole frame (renderToString) p50 ${s.full.p50Ms} ms p95 ${s.full.p95Ms} ms\n`,
          );
    },
    (err: unknown) => {
      process.stderr.write(`render-cost: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
