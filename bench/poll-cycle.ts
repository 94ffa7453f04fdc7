/**
 * Poll cycle: one full poll of N simulated nodes on 127.0.0.1 through the real
 * undici transport and node poller: wall time, CPU time, peak sockets.
 */
import { systemClock } from '../src/clock.js';
import { createHttpTransport } from '../src/sources/http.js';
import { createNodePoller } from '../src/sources/nodes.js';
import { startFleet } from '../src/simulator/index.js';

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

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = process.argv.slice(2).map(Number).filter((x) => x > 0);
  for (const n of sizes.length ? sizes : [100, 1000]) console.log(JSON.stringify(await measureNodePoll(n)));
}
