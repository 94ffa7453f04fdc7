/**
 * Poll cycle: one full poll of N simulated nodes on 127.0.0.1 through the real
 * undici transport and node poller: wall time, CPU time, peak sockets.
 *
 * `measureNodePoll` polls an in-process fleet with the node poller alone (its
 * CPU includes the fleet's); `measureEnginePoll` is what `npm run bench`
 * reports: `engine.poll()` of a whole plan (N nodes in a child-process fleet
 * plus PromQL gates against a real Prometheus), built by the CLI's own
 * buildRuntime, so the CPU time is Flightdeck's alone.
 */
import { systemClock } from '../src/clock.js';
import { buildRuntime } from '../src/cli/runtime.js';
import { loadPlan } from '../src/plan/load.js';
import type { NodeSpec } from '../src/plan/schema.js';
import { createHttpTransport } from '../src/sources/http.js';
import { createNodePoller } from '../src/sources/nodes.js';
import { startFleet } from '../src/simulator/index.js';
import { writePlan } from './env.js';
import { cpuSeconds } from './procs.js';
import { Agent, request } from 'undici';

export interface PollFigures {
  nodes: number;
  coldWallMs: number;
  warmWallMs: number;
  warmCpuMs: number;
  peakSockets: number;
  allUp: boolean;
}

export async function measureNodePoll(n: number, concurrency = 64): Promise<PollFigures> {
  const fleet = await startFleet({ nodes: n, seed: 1 });
  const transport = createHttpTransport({ connections: 2 });
  const poller = createNodePoller({ nodes: fleet.planNodes(), transport, clock: systemClock, timeoutMs: 5_000, concurrency, breaker: { failures: 3, cooldown: 30_000 } });
  let peak = 0;
  const sample = setInterval(() => (peak = Math.max(peak, transport.openSockets())), 5);
  try {
    let t = performance.now();
    await poller.poll();
    const coldWallMs = performance.now() - t;
    const warm: Array<{ wall: number; cpu: number }> = [];
    for (let i = 0; i < 3; i++) {
      const cpu0 = process.cpuUsage();
      t = performance.now();
      await poller.poll();
      const wall = performance.now() - t;
      const cpu = process.cpuUsage(cpu0);
      warm.push({ wall, cpu: (cpu.user + cpu.system) / 1000 });
    }
    warm.sort((a, b) => a.wall - b.wall);
    const median = warm[1]!;
    return { nodes: n, coldWallMs: coldWallMs, warmWallMs: median.wall, warmCpuMs: median.cpu, peakSockets: peak, allUp: poller.status().every((s) => s.up) };
  } finally {
    clearInterval(sample);
    await poller.close();
    await transport.close();
    await fleet.close();
  }
}

export interface PollRun {
  wallMs: number;
  /** CPU (user + system) of this process during the poll, the socket sampler's own time taken out. */
  cpuMs: number;
  /** Most sockets open at once during the poll (sampled every `sampleMs`). */
  peakSockets: number;
  /** Sockets still open (kept alive) after the poll. */
  socketsAfter: number;
  /** CPU the simulated fleet's process spent answering (when its pid is given): near wallMs, the fleet was the bottleneck. */
  fleetCpuMs?: number;
}

export interface EnginePollFigures {
  nodes: number;
  promGates: number;
  cold: PollRun;
  /** Each warm poll (keep-alive sockets reused). */
  warmRuns: PollRun[];
  /** The median warm poll (by wall time). */
  warm: PollRun;
  nodesUp: number;
  /** Gates whose last result was a value (not error or no data). */
  gatesWithValue: number;
  gates: number;
}

/**
 * One cold then `warm` warm `engine.poll()`s of a plan with `nodes` and
 * `gates`, through a fresh runtime (fresh transport: the first poll opens
 * every connection).
 */
export async function measureEnginePoll(o: {
  dir: string;
  nodes: NodeSpec[];
  prometheusUrl: string;
  gates: Array<Record<string, unknown>>;
  warm?: number;
  sampleMs?: number;
  /** The fleet's process, to tell its CPU apart. */
  fleetPid?: number;
  /** Wraps each poll (a CPU profiler started and stopped around it). */
  around?: (phase: 'cold' | 'warm', poll: () => Promise<PollRun>) => Promise<PollRun>;
}): Promise<EnginePollFigures> {
  const file = await writePlan(o.dir, `poll-${o.nodes.length}.json`, {
    service: 'bench',
    prometheus: { url: o.prometheusUrl, timeout: '5s' },
    nodes: o.nodes,
    audit: { file: 'audit.jsonl' },
    stages: [{ id: 'canary', gates: [{ id: 'health', health: { consecutiveFailures: 2 }, onFail: 'block' }, ...o.gates] }],
  });
  const runtime = buildRuntime(await loadPlan(file));
  const { engine } = runtime;
  const sockets = () => runtime.transport.openSockets() + runtime.nodeTransport.openSockets();
  const sampleMs = o.sampleMs ?? 10;
  const once = async (): Promise<PollRun> => {
    let peak = sockets();
    let samplerMs = 0;
    const timer = setInterval(() => {
      const t = performance.now();
      peak = Math.max(peak, sockets());
      samplerMs += performance.now() - t;
    }, sampleMs);
    const fleet0 = o.fleetPid ? cpuSeconds(o.fleetPid) : 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    try {
      await engine.poll();
    } finally {
      clearInterval(timer);
    }
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const socketsAfter = sockets();
    return {
      wallMs,
      cpuMs: Math.max(0, (cpu.user + cpu.system) / 1000 - samplerMs),
      peakSockets: Math.max(peak, socketsAfter),
      socketsAfter,
      ...(o.fleetPid ? { fleetCpuMs: (cpuSeconds(o.fleetPid) - fleet0) * 1000 } : {}),
    };
  };
  try {
    const cold = o.around ? await o.around('cold', once) : await once();
    const warmRuns: PollRun[] = [];
    for (let i = 0; i < (o.warm ?? 3); i++) warmRuns.push(o.around ? await o.around('warm', once) : await once());
    const byWall = [...warmRuns].sort((a, b) => a.wallMs - b.wallMs);
    const st = engine.getState();
    return {
      nodes: o.nodes.length,
      promGates: o.gates.length,
      cold,
      warmRuns,
      warm: byWall[Math.floor(byWall.length / 2)] ?? cold,
      nodesUp: st.nodes.filter((n) => n.up).length,
      gatesWithValue: st.gates.filter((g) => g.state !== 'error' && g.state !== 'no data').length,
      gates: st.gates.length,
    };
  } finally {
    await runtime.close();
  }
}

/**
 * The floor for the nodes' part of a cold poll: a minimal undici loop doing the
 * same GETs (a fresh Agent, one connection per origin, `concurrency` at a
 * time, each body read and JSON-parsed), with nothing of Flightdeck's:
 * no timeouts, breakers, byte caps or verdicts. Its CPU is what opening the
 * connections and reading the answers costs this process.
 */
export async function measureUndiciFloor(nodes: NodeSpec[], concurrency = 64): Promise<{ wallMs: number; cpuMs: number; ok: number }> {
  const agent = new Agent({ connections: 1 });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let ok = 0;
  try {
    ok = await bareGets(agent, nodeUrls(nodes), concurrency);
  } finally {
    await agent.close();
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, ok };
}

export const nodeUrls = (nodes: NodeSpec[]): string[] => nodes.map((n) => n.url.replace(/\/+$/, '') + n.health);

/** GETs every URL through `agent`, `concurrency` at a time, each body read and JSON-parsed; returns how many answered 200. */
export async function bareGets(agent: Agent, urls: string[], concurrency = 64): Promise<number> {
  let next = 0;
  let ok = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, urls.length) }, async () => {
      while (next < urls.length) {
        const res = await request(urls[next++]!, { dispatcher: agent });
        JSON.parse(await res.body.text());
        if (res.statusCode === 200) ok++;
      }
    }),
  );
  return ok;
}

/** Runs `fn` under V8's CPU profiler (1 ms sampling is coarse for a 300 ms poll: 250 µs) and writes a .cpuprofile. */
async function profiled<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const { Session } = await import('node:inspector/promises');
  const { writeFile } = await import('node:fs/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 250 });
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(file, JSON.stringify(profile));
    session.disconnect();
  }
}

/**
 * By hand: `node dist/bench/poll-cycle.js [N...]` polls in-process fleets with the
 * node poller alone; `node dist/bench/poll-cycle.js --engine N [--profile FILE]`
 * starts what the bench's poll section starts (a child fleet of N nodes, a real
 * Prometheus) and prints the engine's cold and warm polls beside the bare undici
 * loop, with --profile, CPU profiles of the cold poll alone (FILE), the last warm poll (FILE.warm) and the bare loop (FILE.floor).
 */
if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const sizes = args.map(Number).filter((x) => x > 0);
  if (args.includes('--engine')) {
    const { startChildFleet, startPromEnv, promGates } = await import('./env.js');
    const { cleanupAll, tempDir } = await import('./procs.js');
    const n = sizes[0] ?? 1000;
    try {
      const prom = await startPromEnv(10);
      const fleet = await startChildFleet(n, 'fleet');
      const dir = await tempDir('poll');
      const at = args.indexOf('--profile');
      const profileFile = at >= 0 ? args[at + 1] : undefined;
      // As in `npm run bench`: a 100-node poll and bare loop first, so neither side runs undici's code cold.
      await measureEnginePoll({ dir, nodes: fleet.nodes.slice(0, 100), prometheusUrl: prom.prom.url, gates: promGates(20), warm: 0 });
      await measureUndiciFloor(fleet.nodes.slice(0, 100), 64);
      // Node's fetch (used above to wait for the fleet and Prometheus) closes its idle sockets after 4 s: not during a poll.
      await new Promise((r) => setTimeout(r, 5_000));
      const ri = args.indexOf('--runs');
      const runs = ri >= 0 ? Math.max(1, Number(args[ri + 1]) || 1) : 1;
      const ratios: number[] = [];
      for (let i = 0; i < runs; i++) {
        const suffix = runs > 1 ? `.${i}` : '';
        const r = await measureEnginePoll({ dir, nodes: fleet.nodes, prometheusUrl: prom.prom.url, gates: promGates(20), fleetPid: fleet.pid, ...(profileFile ? { around: (phase: 'cold' | 'warm', poll: () => Promise<PollRun>) => profiled(`${profileFile}${suffix}${phase === 'warm' ? '.warm' : ''}`, poll) } : {}) });
        const floor = profileFile ? await profiled(`${profileFile}${suffix}.floor`, () => measureUndiciFloor(fleet.nodes, 64)) : await measureUndiciFloor(fleet.nodes, 64);
        ratios.push(r.cold.cpuMs / floor.cpuMs);
        console.log(JSON.stringify({ nodes: n, cold: r.cold, warm: r.warm, nodesUp: r.nodesUp, gatesWithValue: r.gatesWithValue, floor, ratio: Math.round((r.cold.cpuMs / floor.cpuMs) * 100) / 100 }));
      }
      ratios.sort((x, y) => x - y);
      console.log(`cold CPU / bare loop CPU, median of ${runs}: ${ratios[Math.floor(runs / 2)]!.toFixed(2)}`);
    } finally {
      await cleanupAll();
    }
  } else {
    for (const n of sizes.length ? sizes : [100, 1000]) console.log(JSON.stringify(await measureNodePoll(n)));
  }
}
