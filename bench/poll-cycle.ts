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
    const cold = await once();
    const warmRuns: PollRun[] = [];
    for (let i = 0; i < (o.warm ?? 3); i++) warmRuns.push(await once());
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
  const urls = nodes.map((n) => n.url.replace(/\/+$/, '') + n.health);
  const agent = new Agent({ connections: 1 });
  let next = 0;
  let ok = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  try {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, urls.length) }, async () => {
        while (next < urls.length) {
          const res = await request(urls[next++]!, { dispatcher: agent });
          JSON.parse(await res.body.text());
          if (res.statusCode === 200) ok++;
        }
      }),
    );
  } finally {
    await agent.close();
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, ok };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = process.argv.slice(2).map(Number).filter((x) => x > 0);
  for (const n of sizes.length ? sizes : [100, 1000]) console.log(JSON.stringify(await measureNodePoll(n)));
}
