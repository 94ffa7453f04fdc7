/**
 * The bench's sections: each measures one thing an operator feels, against
 * the shared environment, and returns its figures (value beside target) and
 * its raw details for results.json.
 */
import { join } from 'node:path';
import type { PromEnv, ChildFleet } from './env.js';
import { promGates, writePlan } from './env.js';
import { measureDetection } from './detect.js';
import type { Figure } from './figures.js';
import { median, round } from './figures.js';
import { measureIdle, measureStartup } from './idle.js';
import { measureEnginePoll, measureUndiciFloor } from './poll-cycle.js';
import { measureStartupCompare } from './startup-compare.js';
import { DIST_BENCH, exited, start, tempDir } from './procs.js';
import type { RenderCostReport } from './render-cost.js';
import type { SoakReport } from './memory-soak.js';
import { GUARD_NODE_FLAGS } from '../src/cli/guard.js';
import type { TerminalBytesReport } from './terminal-bytes.js';

export interface Settings {
  quick: boolean;
  pollSizes: number[];
  renderFrames: number;
  detectTrials: number;
  hotMs: number;
  idleSeconds: number;
  idleNodes: number;
  startupTrials: number;
  checkTrials: number;
  memoryNodes: number;
  memoryWindows: number;
}

export function settings(quick: boolean): Settings {
  return {
    quick,
    pollSizes: quick ? [100, 1000] : [100, 1000, 5000],
    renderFrames: quick ? 40 : 100,
    detectTrials: quick ? 3 : 6,
    hotMs: 2_000,
    idleSeconds: quick ? 15 : 60,
    idleNodes: 200,
    startupTrials: quick ? 3 : 5,
    checkTrials: quick ? 1 : 3,
    memoryNodes: quick ? 300 : 1000,
    memoryWindows: 3,
  };
}

/** What the sections share, started on first use and closed by the runner. */
export interface Env {
  prom(): Promise<PromEnv>;
  /** A child-process fleet with at least `n` nodes. */
  fleet(n: number): Promise<ChildFleet>;
}

export interface SectionResult {
  figures: Figure[];
  details: unknown;
}

export type Section = (env: Env, s: Settings) => Promise<SectionResult>;

/** This process's environment with `extra` set (undefined: removed), for child scripts that load Ink. */
function terminalEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Runs `node dist/bench/SCRIPT ARGS` and parses the JSON object it prints. */
async function runJsonChild<T>(script: string, args: string[], o: { env?: NodeJS.ProcessEnv; timeoutMs: number; node?: string[] }): Promise<T> {
  const child = start(process.execPath, [...(o.node ?? []), join(DIST_BENCH, script), ...args], { env: o.env ?? process.env });
  let stdout = '';
  child.stdout?.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
  const code = await exited(child, o.timeoutMs);
  const from = stdout.indexOf('{');
  const to = stdout.lastIndexOf('}');
  if (from < 0 || to < from) throw new Error(`${script} exited ${code} without a JSON report: ${child.output().slice(-2000)}`);
  try {
    return JSON.parse(stdout.slice(from, to + 1)) as T;
  } catch {
    throw new Error(`${script} printed no valid JSON (exit ${code}): ${stdout.slice(0, 500)}`);
  }
}

const fmtN = (n: number) => n.toLocaleString('en-US');

export const poll: Section = async (env, s) => {
  const prom = await env.prom();
  const big = await env.fleet(Math.max(...s.pollSizes));
  const dir = await tempDir('poll');
  const gates = promGates(20);
  const runs = [];
  const sideBySide: Array<{ nodes: number; coldCpuMs: number[]; floorCpuMs: number[] }> = [];
  const figures: Figure[] = [];
  for (const n of s.pollSizes) {
    const r = await measureEnginePoll({ dir, nodes: big.nodes.slice(0, n), prometheusUrl: prom.prom.url, gates, fleetPid: big.pid });
    runs.push(r);
    const wallTarget = n === 1000 ? 1000 : n === 5000 ? 5000 : undefined;
    const cpuTarget = n === 1000 ? 300 : undefined;
    const sane = r.nodesUp === n && r.gatesWithValue === r.gates ? undefined : `only ${r.nodesUp}/${n} nodes up, ${r.gatesWithValue}/${r.gates} gates with a value`;
    const name = `poll ${fmtN(n)} nodes + 20 PromQL`;
    for (const phase of ['cold', 'warm'] as const) {
      const p = r[phase];
      figures.push(
        {
          key: `poll.${n}.${phase}.wall_ms`,
          label: `${name}, ${phase}: wall`,
          value: round(p.wallMs, 1),
          unit: 'ms',
          ...(wallTarget ? { target: { op: '<=', value: wallTarget } } : {}),
          note: [sane && phase === 'cold' ? sane : '', p.fleetCpuMs !== undefined ? `the simulated fleet's process used ${Math.round(p.fleetCpuMs)} ms CPU answering` : ''].filter(Boolean).join('; ') || undefined,
        },
        { key: `poll.${n}.${phase}.cpu_ms`, label: `${name}, ${phase}: CPU`, value: round(p.cpuMs, 1), unit: 'ms', ...(cpuTarget ? { target: { op: '<=', value: cpuTarget } } : {}) },
        { key: `poll.${n}.${phase}.peak_sockets`, label: `${name}, ${phase}: peak sockets`, value: p.peakSockets, unit: 'count' },
      );
    }
    // Beside the cold poll: a bare undici loop opening the same connections for the same GETs, median of 3,
    // interleaved with two more cold polls (floor, poll, floor, poll, floor), so that neither side alone
    // runs while the JIT is cold or the machine is busier; the ratio is of the two medians.
    const floors = [];
    const colds = [r.cold.cpuMs];
    for (let i = 0; i < 3; i++) {
      floors.push(await measureUndiciFloor(big.nodes.slice(0, n), 64));
      if (i < 2) colds.push((await measureEnginePoll({ dir, nodes: big.nodes.slice(0, n), prometheusUrl: prom.prom.url, gates, warm: 0 })).cold.cpuMs);
    }
    floors.sort((a, b) => a.cpuMs - b.cpuMs);
    const floor = floors[1]!;
    const coldMedian = median(colds);
    sideBySide.push({ nodes: n, coldCpuMs: colds, floorCpuMs: floors.map((f) => f.cpuMs) });
    figures.push({
      key: `poll.${n}.cold.undici_floor_cpu_ms`,
      label: `  beside: a bare undici loop, the same ${fmtN(n)} GETs cold: CPU`,
      value: round(floor.cpuMs, 1),
      unit: 'ms',
      note: `wall ${Math.round(floor.wallMs)} ms, ${floor.ok}/${n} answered 200; trials ${floors.map((f) => Math.round(f.cpuMs)).join(', ')} ms`,
    });
    // The figure a loaded machine cannot fake: the cold poll's CPU over the bare loop's, measured in the same run.
    figures.push({
      key: `poll.${n}.cold.cpu_ratio_to_floor`,
      label: `${name}, cold: CPU / the bare loop's (medians of 3, interleaved)`,
      note: `cold poll CPU ${colds.map((c) => Math.round(c)).join(', ')} ms (median ${Math.round(coldMedian)} ms); the poll also runs 20 PromQL queries and the engine`,
      value: round(coldMedian / Math.max(1, floor.cpuMs), 2),
      unit: 'x',
      ...(n === 1000 ? { target: { op: '<=', value: 1.25 } } : {}),
    });
  }
  return { figures, details: { promGates: gates.length, fleetPid: big.pid, runs, sideBySide } };
};

export const bytes: Section = async () => {
  const r = await runJsonChild<TerminalBytesReport>('terminal-bytes.js', ['--json'], { env: terminalEnv(), timeoutMs: 120_000 });
  const figures: Figure[] = [];
  for (const z of r.sizes) {
    const at = `${z.columns}x${z.rows}`;
    figures.push(
      { key: `bytes.${at}.one_value_b`, label: `terminal bytes, 1 gate value, ${at}`, value: z.oneValueBytes, unit: 'B', target: { op: '<=', value: r.target } },
      {
        key: `bytes.${at}.one_value_floor_b`,
        label: `  beside: the changed cells' own bytes (cursor moves + chars + styles)`,
        value: z.oneValueFloorBytes,
        unit: 'B',
        note: `the cockpit writes ${round(z.oneValueBytes / Math.max(1, z.oneValueFloorBytes), 2)}x this (target <= 2x)`,
      },
      { key: `bytes.${at}.one_value_ratio`, label: `terminal bytes, 1 gate value / changed cells' bytes, ${at}`, value: round(z.oneValueBytes / Math.max(1, z.oneValueFloorBytes), 2), unit: 'x', target: { op: '<=', value: 2 } },
      { key: `bytes.${at}.tick_b`, label: `terminal bytes, a clock tick (1 s later, same state), ${at}`, value: z.tickBytes, unit: 'B', note: `the changed cells' own bytes: ${z.tickFloorBytes} B (${round(z.tickBytes / Math.max(1, z.tickFloorBytes), 2)}x)` },
      { key: `bytes.${at}.ten_values_b`, label: `terminal bytes, 10 gate values, ${at}`, value: z.tenValuesBytes, unit: 'B' },
      { key: `bytes.${at}.blocker_b`, label: `terminal bytes, 1 blocking gate value, ${at}`, value: z.blockerValueBytes, unit: 'B' },
      { key: `bytes.${at}.first_frame_b`, label: `terminal bytes, first frame, ${at}`, value: z.firstFrameBytes, unit: 'B' },
      { key: `bytes.${at}.full_clear`, label: `full-screen clear in steady state, ${at}`, value: z.fullClear, unit: '', target: { op: '==', value: false } },
      { key: `bytes.${at}.screen_matches`, label: `screen shows the last frame exactly, ${at}`, value: z.screenMatches, unit: '', target: { op: '==', value: true } },
    );
  }
  return { figures, details: r };
};

export const render: Section = async (_env, s) => {
  const args = ['--json', '--frames', String(s.renderFrames)];
  // As shipped: the cockpit loads React's production build (src/cli/load-cockpit.ts); the
  // development build is measured too, for reference.
  const shipped = await runJsonChild<RenderCostReport>('render-cost.js', args, { env: terminalEnv({ NODE_ENV: 'production' }), timeoutMs: 180_000 });
  const development = await runJsonChild<RenderCostReport>('render-cost.js', args, { env: terminalEnv({ NODE_ENV: undefined }), timeoutMs: 180_000 });
  const figures: Figure[] = [];
  const what = `${shipped.gates} gates, ${shipped.nodes} nodes`;
  for (const z of shipped.sizes) {
    const at = `${z.columns}x${z.rows}`;
    const dev = development.sizes.find((p) => p.columns === z.columns && p.rows === z.rows);
    // Issue 14's targets: 6 ms on a 160x50 screen, 3 ms on 80x24.
    const target = z.columns * z.rows > 80 * 24 ? 6 : 3;
    figures.push(
      { key: `render.${at}.poll.p95_ms`, label: `render a poll frame, ${what}, ${at}: p95`, value: z.poll.p95Ms, unit: 'ms', target: { op: '<=', value: target }, note: `p50 ${z.poll.p50Ms} ms, max ${z.poll.maxMs} ms, ${z.poll.meanBytes} B a frame; CPU a frame p50 ${z.poll.cpuP50Ms} ms, p95 ${z.poll.cpuP95Ms} ms` },
      { key: `render.${at}.tick.p95_ms`, label: `render a clock tick, ${at}: p95`, value: z.tick.p95Ms, unit: 'ms', target: { op: '<=', value: target }, note: `p50 ${z.tick.p50Ms} ms; CPU a frame p50 ${z.tick.cpuP50Ms} ms, p95 ${z.tick.cpuP95Ms} ms` },
      {
        key: `render.${at}.poll.full_p95_ms`,
        label: `  beside: the same poll frames drawn whole (Ink renderToString): p95`,
        value: z.full.p95Ms,
        unit: 'ms',
        note: `p50 ${z.full.p50Ms} ms, CPU p50 ${z.full.cpuP50Ms} ms; the cockpit's poll frame takes ${round(z.poll.p50Ms / Math.max(0.001, z.full.p50Ms), 2)}x a whole frame's wall time and ${round(z.poll.cpuP50Ms / Math.max(0.001, z.full.cpuP50Ms), 2)}x its CPU at p50 (lower is better)`,
      },
    );
    figures.push({
      key: `render.${at}.poll.first_p95_ms`,
      label: `  beside: the first ${z.firstPolls.frames} poll frames (V8 still compiling), ${at}: p95`,
      value: z.firstPolls.p95Ms,
      unit: 'ms',
      note: `p50 ${z.firstPolls.p50Ms} ms, max ${z.firstPolls.maxMs} ms: the warm-up the figures above are counted after (for reference)`,
    });
    if (dev) figures.push({ key: `render.${at}.poll.p95_ms.react_development`, label: `render a poll frame, ${at}, React development build: p95`, value: dev.poll.p95Ms, unit: 'ms', note: `p50 ${dev.poll.p50Ms} ms (for reference)` });
  }
  return { figures, details: { shipped, development } };
};

export const startup: Section = async (env, s) => {
  const prom = await env.prom();
  const fleet = await env.fleet(s.idleNodes);
  const nodes = fleet.nodes.slice(0, s.idleNodes);
  // Side by side (startup-compare.ts): node -e 0, a bare Ink hello and watch, interleaved, median of N each.
  const c = await measureStartupCompare({ nodes, promUrl: prom.prom.url, trials: s.startupTrials });
  const r = await measureStartup({ nodes, promUrl: prom.prom.url, trials: s.startupTrials, checkTrials: s.checkTrials });
  return {
    figures: [
      { key: 'startup.first_frame_ms', label: `start-up, exec to first frame, watch (tmux 160x50), median of ${c.trials}`, value: c.median.watch, unit: 'ms', target: { op: '<=', value: 300 }, note: `trials ${c.ms.watch.join(', ')} ms` },
      { key: 'startup.node_e0_ms', label: '  beside: `node -e 0`, exec to exit, median', value: c.median.node, unit: 'ms', note: `watch takes ${c.ratios.watchToNode}x this` },
      { key: 'startup.ink_hello_ms', label: '  beside: a bare Ink "hello", exec to its line, median', value: c.median.ink, unit: 'ms', note: `watch takes ${c.ratios.watchToInk}x this; Ink hello ${c.ratios.inkToNode}x node -e 0` },
      { key: 'startup.watch_to_ink_ratio', label: 'start-up, watch first frame / bare Ink hello', value: c.ratios.watchToInk, unit: 'x' },
      { key: 'startup.alt_screen_ms', label: `start-up, exec to alternate screen, median of ${r.trials.length} more`, value: r.medianAltScreenMs, unit: 'ms', note: `exec to first frame in these: median ${r.medianFirstFrameMs} ms, max ${r.maxFirstFrameMs} ms` },
      { key: 'startup.check_wall_ms', label: `flightdeck check (${s.idleNodes} nodes, 6 gates) wall, median`, value: r.check.medianMs, unit: 'ms', note: `exit codes ${r.check.exitCodes.join(', ')}` },
    ],
    details: { compare: c, ...r },
  };
};

export const detect: Section = async (env, s) => {
  const prom = await env.prom();
  const r = await measureDetection(prom, { trials: s.detectTrials, hotMs: s.hotMs });
  const target = r.hotMs + 250;
  const med = (k: 'detectMs' | 'actMs') => round(median(r.trials.map((t) => t[k])), 1);
  return {
    figures: [
      { key: 'detect.median_ms', label: `breach visible -> rollback started (hot ${r.hotMs / 1000} s), median of ${r.trials.length}`, value: r.medianMs, unit: 'ms', target: { op: '<=', value: target } },
      { key: 'detect.max_ms', label: `breach visible -> rollback started, max`, value: r.maxMs, unit: 'ms', target: { op: '<=', value: target }, note: `trials: ${r.trials.map((t) => t.latencyMs).join(', ')} ms` },
      { key: 'detect.detect_median_ms', label: 'of which: visible -> gate failing (poll phase), median', value: med('detectMs'), unit: 'ms' },
      { key: 'detect.act_median_ms', label: 'of which: gate failing -> rollback process, median', value: med('actMs'), unit: 'ms' },
    ],
    details: r,
  };
};

export const idle: Section = async (env, s) => {
  const prom = await env.prom();
  const fleet = await env.fleet(s.idleNodes);
  const r = await measureIdle({ nodes: fleet.nodes.slice(0, s.idleNodes), promUrl: prom.prom.url, seconds: s.idleSeconds });
  const over = `over ${r.seconds} s, ${s.idleNodes} nodes every 30 s`;
  return {
    figures: [
      ...r.cockpits.flatMap((c): Figure[] => {
        const at = `${c.cols}x${c.rows}`;
        // The 160x50 keys are the ones earlier results.json files have.
        const key = at === '160x50' ? 'idle.cockpit' : `idle.cockpit.${at}`;
        return [
          { key: `${key}.cpu_pct`, label: `idle CPU, cockpit in tmux ${at} (${over})`, value: c.cpuPercent, unit: '%', target: { op: '<=', value: 0.5 }, note: `${c.cpuSeconds} s CPU; RSS ${c.rssMB} MB` },
          { key: `${key}.bytes_per_s`, label: `idle terminal output, cockpit ${at}`, value: c.bytesPerSecond, unit: 'B', target: { op: '<=', value: 50 }, note: 'bytes a second written to the terminal while nothing changes' },
          { key: `${key}.full_clears`, label: `full-screen clears while idle, cockpit in tmux ${at}`, value: c.fullClears, unit: 'count', target: { op: '<=', value: 0 } },
        ];
      }),
      { key: 'idle.headless.cpu_pct', label: `idle CPU, watch --json (${over})`, value: r.headless.cpuPercent, unit: '%', target: { op: '<=', value: 0.3 }, note: `${r.headless.cpuSeconds} s CPU, ${r.headless.polls} poll(s); RSS ${r.headless.rssMB} MB` },
      {
        key: 'idle.floor.cpu_pct',
        label: `idle CPU, a bare undici loop doing the same polls (${over})`,
        value: r.floor.cpuPercent,
        unit: '%',
        note: `${r.floor.cpuSeconds} s CPU, ${r.floor.polls} poll(s): the same GETs and queries, one kept Agent, nothing of Flightdeck's (bench/idle-floor.ts)`,
      },
      {
        key: 'idle.headless.vs_floor',
        label: 'idle CPU, watch --json / the bare undici loop',
        value: round(r.headless.cpuPercent / r.floor.cpuPercent, 2),
        unit: 'x',
        note: `the cockpits: ${r.cockpits.map((c) => `${c.cols}x${c.rows} ${round(c.cpuPercent / r.floor.cpuPercent, 2)}x`).join(', ')}`,
      },
    ],
    details: r,
  };
};

export const memory: Section = async (env, s) => {
  const prom = await env.prom();
  const fleet = await env.fleet(s.memoryNodes);
  const dir = await tempDir('memory');
  const plan = await writePlan(dir, 'plan.json', {
    service: 'soakbench',
    prometheus: { url: prom.prom.url, timeout: '5s' },
    nodes: fleet.nodes.slice(0, s.memoryNodes),
    // Seed 002's cadence: 30 s for 5 min, then 2 min, for a 60-minute window.
    polling: { window: '60m', phases: [{ for: '5m', every: '30s' }, { every: '2m' }], hot: '5s' },
    audit: { file: 'audit.jsonl' },
    stages: [{ id: 'canary', gates: [{ id: 'health', health: { consecutiveFailures: 2 }, onFail: 'block' }, ...promGates(20)] }],
  });
  const r = await runJsonChild<SoakReport>('memory-soak.js', [plan, String(s.memoryWindows), '170'], { node: ['--expose-gc', ...GUARD_NODE_FLAGS], timeoutMs: 200_000 });
  const [w1, w2, w3] = r.windows;
  if (!w1 || !w2) throw new Error(`the soak reported ${r.windows.length} window(s), expected at least 2`);
  const pct = (a: number, b: number) => round(((b - a) / a) * 100, 1);
  const what = `${fmtN(r.nodes)} nodes, ${r.gates} gates`;
  const figures: Figure[] = [
    {
      key: 'memory.rss_window1_mb',
      label: `RSS after a 60-min window (${what}, ${w1.polls} polls)`,
      value: w1.rssMB,
      unit: 'MB',
      target: { op: '<=', value: 150 },
      note: `as the guard runs it (node ${GUARD_NODE_FLAGS.join(' ')}); V8 heap used ${w1.heapUsedMB} MB of ${w1.heapTotalMB} MB${r.gc ? ' after a full GC' : ' (no --expose-gc: as is)'} (young generation ${w1.spacesMB.new_space ?? '?'} MB), anonymous RSS ${w1.rssAnonMB} MB; at start (nothing polled) RSS ${r.baseline.rssMB} MB, heap ${r.baseline.heapUsedMB} MB; CPU ${w1.cpuMs} ms for the window's ${w1.polls} polls`,
    },
    {
      key: 'memory.rss_max_window1_mb',
      label: 'RSS right after a poll, highest in the first window',
      value: w1.maxRssMB,
      unit: 'MB',
      note: 'read at the end of each poll, no GC forced',
    },
    {
      key: 'memory.rss_growth_pct',
      label: `RSS growth over the second window (${w2.polls - w1.polls} more polls), highest after a poll`,
      // The highest RSS after a poll, not one reading after the window's forced GC: a leak raises it too, and it
      // does not depend on where in a rise and fall of RSS the window happens to end.
      value: pct(w1.maxRssMB, w2.maxRssMB),
      unit: '%',
      target: { op: '<', value: 10 },
      note: `highest RSS after a poll ${w1.maxRssMB} -> ${w2.maxRssMB} MB; RSS at the window's end ${w1.rssMB} -> ${w2.rssMB} MB; heap used ${w1.heapUsedMB} -> ${w2.heapUsedMB} MB (${pct(w1.heapUsedMB, w2.heapUsedMB)} %)`,
    },
    { key: 'memory.heap_growth_pct', label: 'V8 heap (used, after GC) growth over the second window', value: pct(w1.heapUsedMB, w2.heapUsedMB), unit: '%' },
  ];
  if (w3) figures.push({ key: 'memory.rss_growth_window3_pct', label: 'RSS growth over the third window, highest after a poll', value: pct(w2.maxRssMB, w3.maxRssMB), unit: '%', note: `highest RSS after a poll ${w2.maxRssMB} -> ${w3.maxRssMB} MB; RSS at the window's end ${w2.rssMB} -> ${w3.rssMB} MB; heap used ${w3.heapUsedMB} MB` });
  return { figures, details: r };
};

/** Several bastions: standby takeover after kill -9 of the leader, and what PostgreSQL adds to an action start. */
const pg: Section = async (_env, s) => {
  const { measurePg } = await import('./pg.js');
  return measurePg({ takeoverTrials: 10, leaseMs: 3_000, startTrials: s.quick ? 30 : 100 });
};

export const SECTIONS: Record<string, Section> = { poll, bytes, render, startup, detect, idle, memory, pg };
