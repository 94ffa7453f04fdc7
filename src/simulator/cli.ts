/**
 * `flightdeck simulate`: starts a fleet with its control server, writes the
 * scrape targets and plan nodes if asked, and stays up until SIGINT/SIGTERM
 * (or the given signal aborts), then closes every server.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stringify } from 'yaml';
import type { Clock } from '../clock.js';
import type { Fault } from './fault.js';
import { startFleet } from './fleet.js';

export interface SimulateCommandOptions {
  nodes: number;
  service?: string;
  seed?: number;
  profile?: Partial<Fault>;
  controlPort?: number;
  /** File to write: one host:port a line (for a Prometheus file_sd or static config). */
  writeTargets?: string;
  /** File to write the plan's `nodes:` list to (YAML, or JSON when the name ends in .json). */
  writePlanNodes?: string;
  clock?: Clock;
  /** Stops the fleet like SIGTERM does (for tests and embedding). */
  signal?: AbortSignal;
  stdout?: { write(text: string): unknown };
}

export async function runSimulateCommand(opts: SimulateCommandOptions): Promise<void> {
  const out = opts.stdout ?? process.stdout;
  const fleet = await startFleet({
    nodes: opts.nodes,
    ...(opts.service ? { service: opts.service } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.profile ? { profile: opts.profile } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
    control: { port: opts.controlPort ?? 0 },
  });
  try {
    if (opts.writeTargets) await writeText(opts.writeTargets, fleet.targets.join('\n') + '\n');
    if (opts.writePlanNodes) {
      const nodes = fleet.planNodes();
      const text = opts.writePlanNodes.endsWith('.json') ? JSON.stringify({ nodes }, null, 2) + '\n' : stringify({ nodes });
      await writeText(opts.writePlanNodes, text);
    }
  } catch (err) {
    await fleet.close();
    throw err;
  }
  const first = fleet.nodes[0]!;
  const last = fleet.nodes[fleet.nodes.length - 1]!;
  out.write(`simulated fleet: ${fleet.nodes.length} ${fleet.service} nodes on 127.0.0.1 (${first.name} ${first.url} … ${last.name} ${last.url})\n`);
  out.write(`control: ${fleet.controlUrl}\n`);
  if (opts.writeTargets) out.write(`targets: ${opts.writeTargets}\n`);
  if (opts.writePlanNodes) out.write(`plan nodes: ${opts.writePlanNodes}\n`);

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      opts.signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (opts.signal?.aborted) stop();
    else opts.signal?.addEventListener('abort', stop, { once: true });
  });
  await fleet.close();
  out.write('simulated fleet stopped\n');
}

async function writeText(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
}
