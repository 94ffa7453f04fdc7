/**
 * What the measurements run against, each in its own process so that CPU
 * figures are Flightdeck's alone: simulated fleets (`flightdeck simulate` in
 * a child) and a real Prometheus (Debian's /usr/bin/prometheus) scraping a
 * small fleet.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeSpec } from '../src/plan/schema.js';
import { PROMETHEUS_BIN, queryValue, startPrometheus, waitFor, type RunningPrometheus } from '../test/helpers/prometheus.js';
import { onCleanup, startFlightdeck, stop, tempDir } from './procs.js';

export interface ChildFleet {
  nodes: NodeSpec[];
  targets: string[];
  controlUrl: string;
  pid: number;
  setFault(fault: Record<string, unknown>, target?: unknown): Promise<void>;
  clear(): Promise<void>;
  close(): Promise<void>;
}

/** `flightdeck simulate --nodes N` in a child process; resolves once every node listens. */
export async function startChildFleet(n: number, name = `fleet-${n}`): Promise<ChildFleet> {
  const dir = await tempDir(name);
  const targetsFile = join(dir, 'targets.txt');
  const nodesFile = join(dir, 'nodes.json');
  const child = startFlightdeck(['simulate', '--nodes', String(n), '--write-targets', targetsFile, '--write-plan-nodes', nodesFile]);
  try {
    const controlUrl = await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`flightdeck simulate exited with ${child.exitCode}: ${child.output()}`);
        return /^control: (\S+)$/m.exec(child.output())?.[1];
      },
      { what: `a simulated fleet of ${n} nodes`, timeoutMs: 60_000, intervalMs: 50 },
    );
    const nodes = (JSON.parse(await readFile(nodesFile, 'utf8')) as { nodes: NodeSpec[] }).nodes;
    const targets = (await readFile(targetsFile, 'utf8')).split('\n').filter(Boolean);
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${controlUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (res.status !== 200) throw new Error(`fleet control ${path} answered ${res.status}: ${await res.text()}`);
    };
    return {
      nodes,
      targets,
      controlUrl,
      pid: child.pid!,
      setFault: (fault, target = 'all') => post('/faults', { target, fault }),
      clear: () => post('/clear', {}),
      close: () => stop(child),
    };
  } catch (err) {
    await stop(child);
    throw err;
  }
}

export interface PromEnv {
  prom: RunningPrometheus;
  fleet: ChildFleet;
  close(): Promise<void>;
}

/** A real Prometheus scraping a small child fleet every second; resolves once rates have data. */
export async function startPromEnv(nodes = 10): Promise<PromEnv> {
  if (!existsSync(PROMETHEUS_BIN)) {
    throw new Error(`the bench needs a real Prometheus at ${PROMETHEUS_BIN} (apt-get install -y prometheus), or set PROMETHEUS_BIN`);
  }
  const fleet = await startChildFleet(nodes, 'prom-fleet');
  let prom: RunningPrometheus | undefined;
  try {
    prom = await startPrometheus({ targets: fleet.targets, scrapeInterval: '1s' });
    const started = prom;
    const forget = onCleanup(() => started.stop());
    const url = prom.url;
    // Rates need two samples in the window; the histogram gates need the buckets.
    await waitFor(async () => (await queryValue(url, 'sum(rate(dhash_extractions_total[1m]))')) !== undefined, { what: 'rates in Prometheus', timeoutMs: 30_000, intervalMs: 250 });
    const p = prom;
    return {
      prom: p,
      fleet,
      async close() {
        forget();
        await p.stop();
        await fleet.close();
      },
    };
  } catch (err) {
    await prom?.stop();
    await fleet.close();
    throw err;
  }
}

/** An instant query's first value, or null when the result is empty. */
/** Twenty PromQL gates in the seeds' style, against the simulated fleet's metrics; none in warn or failing. */
export function promGates(count = 20): Array<Record<string, unknown>> {
  const windows = ['1m', '2m', '5m'];
  const templates: Array<(w: string) => { query: string; fail: string; unit?: string }> = [
    (w) => ({ query: `sum(rate(dhash_extraction_failures_total[${w}])) / sum(rate(dhash_extractions_total[${w}]))`, fail: '> 0.05', unit: 'ratio' }),
    (w) => ({ query: `histogram_quantile(0.95, sum by (le) (rate(dhash_hash_duration_seconds_bucket[${w}])))`, fail: '> 2', unit: 'seconds' }),
    (w) => ({ query: `sum(rate(http_requests_total{status="500"}[${w}])) / sum(rate(http_requests_total[${w}]))`, fail: '> 0.05', unit: 'ratio' }),
    (w) => ({ query: `sum(rate(stage_validation_errors_total[${w}])) / sum(rate(stage_validation_validations_total[${w}]))`, fail: '> 0.02', unit: 'ratio' }),
    (w) => ({ query: `histogram_quantile(0.99, sum by (le) (rate(stage_validation_duration_seconds_bucket[${w}])))`, fail: '> 0.05', unit: 'seconds' }),
    (w) => ({ query: `max(max_over_time(db_pool_saturation[${w}]))`, fail: '>= 0.9', unit: 'ratio' }),
    (w) => ({ query: `max(avg_over_time(process_memory_usage_ratio[${w}]))`, fail: '> 0.9', unit: 'ratio' }),
    (w) => ({ query: `sum(increase(watchdog_restarts_total[${w}]))`, fail: '> 3', unit: 'count' }),
  ];
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < count; i++) {
    const t = templates[i % templates.length]!(windows[Math.floor(i / templates.length) % windows.length]!);
    out.push({ id: `prom-${String(i + 1).padStart(2, '0')}`, ...t, onFail: 'block' });
  }
  return out;
}

/** Writes a plan (JSON is valid plan syntax) and returns its path. */
export async function writePlan(dir: string, name: string, plan: Record<string, unknown>): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, JSON.stringify(plan, null, 2));
  return file;
}
