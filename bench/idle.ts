/**
 * Idle cost and start-up of the real binary.
 *
 * Idle: `flightdeck watch` (the cockpit in tmux at 100x30 and at 160x50),
 * `flightdeck watch --json` and the bare undici loop of idle-floor.ts (the same
 * GETs and queries on the same cadence, nothing of Flightdeck's) side by side,
 * on the same kind of plan (200 nodes polled every 30 s, a health gate and five
 * PromQL gates, nothing changing), CPU read from /proc/<pid>/stat over a
 * window after the first poll.
 *
 * Start-up: from exec (the shell's `date +%s%N` just before it execs node)
 * to the alternate-screen escape and to the first frame (the plan's service
 * name on screen) in the bytes tmux pipes out, polled every 5 ms.
 */
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { NodeSpec } from '../src/plan/schema.js';
import { waitFor } from '../test/helpers/prometheus.js';
import { promGates, writePlan } from './env.js';
import { median, round } from './figures.js';
import { alive, BIN, cpuSeconds, DIST_BENCH, exited, rssMB, sleep, start, startFlightdeck, stop, tempDir } from './procs.js';
import { closePane, startPane, type BenchPane } from './tmux.js';

export const SERVICE = 'idlebench';
const ENTER_ALT_SCREEN = '\u001b[?1049h';

export async function writeIdlePlan(dir: string, nodes: NodeSpec[], promUrl: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return writePlan(dir, 'plan.json', {
    service: SERVICE,
    prometheus: { url: promUrl, timeout: '5s' },
    nodes,
    polling: { window: '60m', phases: [{ every: '30s' }], hot: '5s' },
    audit: { file: 'audit.jsonl' },
    stages: [{ id: 'canary', gates: [{ id: 'health', health: { consecutiveFailures: 2 }, onFail: 'block' }, ...promGates(5)] }, { id: 'full' }],
  });
}

export interface IdleCockpit {
  cols: number;
  rows: number;
  cpuPercent: number;
  cpuSeconds: number;
  bytesPerSecond: number;
  rssMB: number;
  fullClears: number;
}

export interface IdleFigures {
  seconds: number;
  /** One cockpit per terminal size, all idle over the same window. */
  cockpits: IdleCockpit[];
  headless: { cpuPercent: number; cpuSeconds: number; polls: number; rssMB: number };
  /** The bare undici loop doing the same network on the same cadence (idle-floor.ts). */
  floor: { cpuPercent: number; cpuSeconds: number; polls: number };
}

/** The plan's poll interval (writeIdlePlan's 30 s), for the floor loop. */
const IDLE_EVERY_MS = 30_000;

/** The terminal sizes of the idle cockpits: issue 12's 100x30 and issue 14's 160x50. */
export const IDLE_SIZES: ReadonlyArray<[number, number]> = [
  [100, 30],
  [160, 50],
];

export async function measureIdle(o: { nodes: NodeSpec[]; promUrl: string; seconds: number; sizes?: ReadonlyArray<[number, number]> }): Promise<IdleFigures> {
  const root = await tempDir('idle');
  const sizes = o.sizes ?? IDLE_SIZES;
  const panes: Array<{ cols: number; rows: number; pane: BenchPane }> = [];
  for (const [cols, rows] of sizes) {
    const dir = join(root, `cockpit-${cols}x${rows}`);
    const plan = await writeIdlePlan(dir, o.nodes, o.promUrl);
    panes.push({ cols, rows, pane: startPane([process.execPath, BIN, 'watch', '--no-guard', plan], { dir, cols, rows, cwd: dir }) });
  }
  const headlessPlan = await writeIdlePlan(join(root, 'headless'), o.nodes, o.promUrl);
  const headless = startFlightdeck(['watch', '--json', '--no-guard', headlessPlan], { cwd: join(root, 'headless') });
  const floor = start(process.execPath, [join(DIST_BENCH, 'idle-floor.js'), headlessPlan, String(IDLE_EVERY_MS)]);
  try {
    const pids: number[] = [];
    for (const { pane } of panes) {
      pane.go();
      pids.push(await waitFor(() => pane.pid(), { what: 'the cockpit pid', timeoutMs: 5_000, intervalMs: 10 }));
    }
    const polls = () => (headless.output().match(/"type":"poll\.done"/g) ?? []).length;
    await waitFor(
      () => {
        if (headless.exitCode !== null) throw new Error(`watch --json exited: ${headless.output().slice(-1000)}`);
        return polls() > 0;
      },
      { what: 'the first headless poll', timeoutMs: 30_000, intervalMs: 50 },
    );
    const floorPolls = () => (floor.output().match(/^poll \d+:/gm) ?? []).length;
    await waitFor(
      () => {
        if (floor.exitCode !== null) throw new Error(`the idle floor loop exited: ${floor.output().slice(-1000)}`);
        return floorPolls() > 0;
      },
      { what: "the floor loop's first poll", timeoutMs: 30_000, intervalMs: 50 },
    );
    for (const { pane } of panes) {
      await waitFor(() => pane.capture().includes(SERVICE) && /\bok\b/.test(pane.capture()), { what: 'the cockpit showing its first poll', timeoutMs: 30_000, intervalMs: 100 });
    }
    // Let the first poll's frames and garbage settle.
    await sleep(3_000);
    const c0 = pids.map((pid) => cpuSeconds(pid));
    const h0 = cpuSeconds(headless.pid!);
    const f0 = cpuSeconds(floor.pid!);
    const fp0 = floorPolls();
    const b0 = panes.map(({ pane }) => pane.rawSize());
    const p0 = polls();
    const t0 = performance.now();
    await sleep(o.seconds * 1000);
    const elapsed = (performance.now() - t0) / 1000;
    const cockpits = panes.map(({ cols, rows, pane }, i): IdleCockpit => {
      const pid = pids[i]!;
      if (!alive(pid)) throw new Error(`the ${cols}x${rows} cockpit exited during the idle window; screen:\n${pane.capture()}`);
      const c = cpuSeconds(pid) - c0[i]!;
      // eslint-disable-next-line no-control-regex
      const fullClears = (pane.raw().subarray(b0[i]).toString('utf8').match(/\u001b\[[23]J|\u001bc/g) ?? []).length;
      return { cols, rows, cpuPercent: round((c / elapsed) * 100, 2), cpuSeconds: round(c, 2), bytesPerSecond: Math.round((pane.rawSize() - b0[i]!) / elapsed), rssMB: round(rssMB(pid), 1), fullClears };
    });
    if (headless.exitCode !== null) throw new Error(`watch --json exited during the idle window: ${headless.output().slice(-1000)}`);
    const h = cpuSeconds(headless.pid!) - h0;
    if (floor.exitCode !== null) throw new Error(`the idle floor loop exited during the idle window: ${floor.output().slice(-1000)}`);
    const f = cpuSeconds(floor.pid!) - f0;
    return {
      seconds: round(elapsed, 1),
      cockpits,
      headless: { cpuPercent: round((h / elapsed) * 100, 2), cpuSeconds: round(h, 2), polls: polls() - p0, rssMB: round(rssMB(headless.pid!), 1) },
      floor: { cpuPercent: round((f / elapsed) * 100, 2), cpuSeconds: round(f, 2), polls: floorPolls() - fp0 },
    };
  } finally {
    for (const { pane } of panes) await closePane(pane);
    await stop(headless);
    await stop(floor);
  }
}

export interface StartupTrial {
  altScreenMs: number;
  firstFrameMs: number;
}

export interface StartupFigures {
  trials: StartupTrial[];
  medianAltScreenMs: number;
  medianFirstFrameMs: number;
  maxFirstFrameMs: number;
  check: { wallMs: number[]; medianMs: number; exitCodes: Array<number | null> };
}

export async function measureStartup(o: { nodes: NodeSpec[]; promUrl: string; trials: number; checkTrials: number }): Promise<StartupFigures> {
  const root = await tempDir('startup');
  const trials: StartupTrial[] = [];
  for (let i = 0; i < o.trials; i++) {
    const dir = join(root, `t${i}`);
    const plan = await writeIdlePlan(dir, o.nodes, o.promUrl);
    const pane = startPane([process.execPath, BIN, 'watch', '--no-guard', plan], { dir, cols: 160, rows: 50, cwd: dir });
    try {
      await waitFor(() => pane.pid(), { what: 'the pane shell', timeoutMs: 5_000, intervalMs: 5 });
      pane.go();
      let altAt = 0;
      let frameAt = 0;
      const deadline = Date.now() + 15_000;
      while (!frameAt && Date.now() < deadline) {
        const text = pane.raw().toString('utf8');
        const alt = text.indexOf(ENTER_ALT_SCREEN);
        if (alt >= 0 && !altAt) altAt = Date.now();
        if (alt >= 0 && text.indexOf(SERVICE, alt) > 0) frameAt = Date.now();
        else await sleep(5);
      }
      const execAt = pane.execAt();
      if (!frameAt || execAt === undefined) throw new Error(`no first frame within 15 s; screen:\n${pane.capture()}`);
      trials.push({ altScreenMs: round(altAt - execAt, 1), firstFrameMs: round(frameAt - execAt, 1) });
    } finally {
      await closePane(pane);
    }
  }
  const checkDir = join(root, 'check');
  const checkPlan = await writeIdlePlan(checkDir, o.nodes, o.promUrl);
  const wallMs: number[] = [];
  const exitCodes: Array<number | null> = [];
  for (let i = 0; i < o.checkTrials; i++) {
    const t0 = performance.now();
    const child = startFlightdeck(['check', checkPlan, '--json'], { cwd: checkDir });
    exitCodes.push(await exited(child, 60_000));
    wallMs.push(round(performance.now() - t0, 1));
  }
  const ff = trials.map((t) => t.firstFrameMs);
  return {
    trials,
    medianAltScreenMs: round(median(trials.map((t) => t.altScreenMs)), 1),
    medianFirstFrameMs: round(median(ff), 1),
    maxFirstFrameMs: Math.max(...ff),
    check: { wallMs, medianMs: round(median(wallMs), 1), exitCodes },
  };
}
