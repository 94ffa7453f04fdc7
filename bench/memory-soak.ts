/**
 * Memory over a deploy window, time-compressed: a ManualClock drives the
 * real Engine and Scheduler (the CLI's buildRuntime: real node poller and
 * Prometheus client over loopback) through whole 60-minute windows, each
 * poll running for real and the clock jumping to the next scheduled poll.
 * Prints one JSON line: RSS and heap after each window (after a full GC when
 * run with --expose-gc).
 *
 *   node --expose-gc dist/bench/memory-soak.js PLAN_FILE [WINDOWS] [MAX_SECONDS]
 */
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import { pathToFileURL } from 'node:url';
import { ManualClock } from '../src/clock.js';
import { buildRuntime } from '../src/cli/runtime.js';
import { Scheduler } from '../src/engine/scheduler.js';
import { loadPlan } from '../src/plan/load.js';

export interface MemorySample {
  rssMB: number;
  /** RSS that is anonymous memory (heap, malloc) rather than mapped files (code). */
  rssAnonMB: number;
  heapUsedMB: number;
  /** What V8 holds for its heap, used or not. */
  heapTotalMB: number;
  externalMB: number;
  arrayBuffersMB: number;
  /** What each V8 heap space has committed (MB): which space holds the heap's total. */
  spacesMB: Record<string, number>;
}

export interface WindowSample extends MemorySample {
  window: number;
  polls: number;
  realSeconds: number;
  /** CPU this process used in the window (user + system), ms. */
  cpuMs: number;
  /** The highest RSS read at the end of any poll of the window (no GC forced). */
  maxRssMB: number;
}

export interface SoakReport {
  nodes: number;
  gates: number;
  gc: boolean;
  baseline: MemorySample;
  windows: WindowSample[];
  nodesUp: number;
  gatesWithValue: number;
}

const mb = (b: number) => Math.round((b / 1024 / 1024) * 10) / 10;

function sample(): MemorySample {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  let anon = Number.NaN;
  try {
    anon = Number(/RssAnon:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) * 1024;
  } catch {
    // not Linux
  }
  const spacesMB = Object.fromEntries(v8.getHeapSpaceStatistics().map((sp) => [sp.space_name, mb(sp.space_size)]));
  return { rssMB: mb(m.rss), rssAnonMB: mb(anon), heapUsedMB: mb(m.heapUsed), heapTotalMB: mb(m.heapTotal), externalMB: mb(m.external), arrayBuffersMB: mb(m.arrayBuffers), spacesMB };
}

export async function soak(planFile: string, windows: number, maxSeconds: number): Promise<SoakReport> {
  const loaded = await loadPlan(planFile);
  const clock = new ManualClock(Date.now());
  const runtime = buildRuntime(loaded, { clock });
  const { engine } = runtime;
  const scheduler = new Scheduler(engine, clock);
  let polls = 0;
  let maxRss = 0;
  engine.on((e) => {
    if (e.type !== 'poll.done') return;
    polls++;
    maxRss = Math.max(maxRss, process.memoryUsage.rss());
  });
  const base = sample();
  const started = performance.now();
  const out: WindowSample[] = [];
  const realDeadline = started + maxSeconds * 1000;
  const waitIdle = async () => {
    // A poll runs on real I/O: wait (real time) until it has finished and scheduled the next one.
    while (engine.polling.inFlight || clock.pending === 0) {
      if (performance.now() > realDeadline) throw new Error(`the soak ran past ${maxSeconds} s of real time`);
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  let cpu = process.cpuUsage();
  scheduler.start();
  try {
    for (let w = 1; w <= windows; w++) {
      const end = engine.windowStart + w * loaded.plan.polling.window;
      for (;;) {
        await waitIdle();
        const next = clock.nextTimerAt()!;
        if (next > end) break;
        await clock.advanceTo(next);
      }
      await clock.advanceTo(end);
      const used = process.cpuUsage(cpu);
      cpu = process.cpuUsage();
      const windowMaxRss = maxRss;
      maxRss = 0;
      out.push({
        window: w,
        polls,
        ...sample(),
        realSeconds: Math.round((performance.now() - started) / 100) / 10,
        cpuMs: Math.round((used.user + used.system) / 1000),
        maxRssMB: mb(windowMaxRss),
      });
    }
    const st = engine.getState();
    return {
      nodes: loaded.plan.nodes.length,
      gates: st.gates.length,
      gc: typeof (globalThis as { gc?: unknown }).gc === 'function',
      baseline: base,
      windows: out,
      nodesUp: st.nodes.filter((n) => n.up).length,
      gatesWithValue: st.gates.filter((g) => g.state !== 'error' && g.state !== 'no data').length,
    };
  } finally {
    scheduler.stop();
    await waitIdleQuietly(engine);
    await runtime.close();
  }
}

async function waitIdleQuietly(engine: { polling: { inFlight: boolean } }): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (engine.polling.inFlight && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [plan, windows = '2', maxSeconds = '150'] = process.argv.slice(2);
  if (!plan) {
    process.stderr.write('usage: node --expose-gc dist/bench/memory-soak.js PLAN_FILE [WINDOWS] [MAX_SECONDS]\n');
    process.exit(2);
  }
  soak(plan, Number(windows), Number(maxSeconds)).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (err: unknown) => {
      process.stderr.write(`memory-soak: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
