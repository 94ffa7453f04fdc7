/**
 * Start-up side by side, in one run (issue 14): each trial starts, in the
 * same kind of tmux pane (160x50, its own server, every byte piped out),
 *
 *   1. `node -e 0`: exec -> the process has exited (the floor: Node itself);
 *   2. a bare Ink "hello" (`ink-hello.ts`): exec -> its line on the terminal
 *      (what loading Ink and React and drawing one frame costs);
 *   3. `flightdeck watch --no-guard PLAN`: exec -> the first frame (the plan's
 *      service name after the alternate-screen escape).
 *
 * The three run interleaved (1, 2, 3, 1, 2, 3, ...), so a busy machine slows
 * them alike; the figures are the medians and the ratios of the medians.
 * Exec time is the pane shell's `date +%s%N` just before it execs; the end is
 * seen by polling the piped bytes (or, for `node -e 0`, the `date +%s%N` the
 * wrapping shell writes once node has exited) every 5 ms.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeSpec } from '../src/plan/schema.js';
import { median, round } from './figures.js';
import { writeIdlePlan, SERVICE } from './idle.js';
import { BIN, DIST_BENCH, sleep, tempDir } from './procs.js';
import { closePane, startPane } from './tmux.js';

const ENTER_ALT_SCREEN = '\u001b[?1049h';

export type StartupSubject = 'node' | 'ink' | 'watch';

export interface StartupCompare {
  trials: number;
  ms: Record<StartupSubject, number[]>;
  median: Record<StartupSubject, number>;
  /** watch / ink, watch / node, ink / node, of the medians. */
  ratios: { watchToInk: number; watchToNode: number; inkToNode: number };
}

export async function measureStartupCompare(o: { nodes: NodeSpec[]; promUrl: string; trials: number; timeoutMs?: number }): Promise<StartupCompare> {
  const root = await tempDir('startup-compare');
  const ms: Record<StartupSubject, number[]> = { node: [], ink: [], watch: [] };
  for (let i = 0; i < o.trials; i++) {
    for (const subject of ['node', 'ink', 'watch'] as const) {
      const dir = join(root, `${subject}-${i}`);
      // The plan is written for every subject, so each trial's files cost the same.
      const plan = await writeIdlePlan(dir, o.nodes, o.promUrl);
      const doneFile = join(dir, 'done.ns');
      const argv =
        subject === 'node'
          ? ['/bin/sh', '-c', `'${process.execPath}' -e 0; date +%s%N > '${doneFile}'`]
          : subject === 'ink'
            ? [process.execPath, join(DIST_BENCH, 'ink-hello.js'), SERVICE]
            : [process.execPath, BIN, 'watch', '--no-guard', plan];
      ms[subject].push(await timeOne(argv, dir, subject, doneFile, o.timeoutMs ?? 15_000));
    }
  }
  const med = (s: StartupSubject) => round(median(ms[s]), 1);
  const m = { node: med('node'), ink: med('ink'), watch: med('watch') };
  const ratio = (a: number, b: number) => round(a / Math.max(0.1, b), 2);
  return { trials: o.trials, ms, median: m, ratios: { watchToInk: ratio(m.watch, m.ink), watchToNode: ratio(m.watch, m.node), inkToNode: ratio(m.ink, m.node) } };
}

async function timeOne(argv: string[], dir: string, subject: StartupSubject, doneFile: string, timeoutMs: number): Promise<number> {
  const pane = startPane(argv, { dir, cols: 160, rows: 50, cwd: dir });
  try {
    const deadline = Date.now() + 5_000;
    while (pane.pid() === undefined && Date.now() < deadline) await sleep(5);
    pane.go();
    const until = Date.now() + timeoutMs;
    let endAt = 0;
    while (!endAt && Date.now() < until) {
      if (subject === 'node') {
        const ns = existsSync(doneFile) ? readFileSync(doneFile, 'utf8').trim() : '';
        if (ns) endAt = Number(BigInt(ns) / 1000n) / 1000;
      } else {
        const text = pane.raw().toString('utf8');
        const from = subject === 'watch' ? text.indexOf(ENTER_ALT_SCREEN) : 0;
        if (from >= 0 && text.indexOf(SERVICE, from) >= 0) endAt = Date.now();
      }
      if (!endAt) await sleep(5);
    }
    const execAt = pane.execAt();
    if (!endAt || execAt === undefined) throw new Error(`${subject}: nothing within ${timeoutMs} ms; screen:\n${pane.capture()}`);
    return round(endAt - execAt, 1);
  } finally {
    await closePane(pane);
  }
}
