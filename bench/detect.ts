/**
 * Detection to action: from the moment a breach is visible in Prometheus to
 * the moment the rollback process starts, through the real binary
 * (`flightdeck watch --json`) polling hot.
 *
 * The gate has a warn band the fleet already sits in, so the session polls
 * at its `hot` interval before the breach; it has no `for`, so the first
 * poll that sees the breach fails the gate and starts the rollback. The
 * bench queries Prometheus itself every ~20 ms to timestamp when the breach
 * first shows, and the rollback script writes `date +%s%N` when it starts.
 */
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { queryValue, waitFor } from '../test/helpers/prometheus.js';
import type { PromEnv } from './env.js';
import { writePlan } from './env.js';
import { median, round } from './figures.js';
import { sleep, startFlightdeck, stop, tempDir } from './procs.js';

export const DETECT_QUERY = 'max(db_pool_saturation)';
export const DETECT_FAIL = 0.8;

export interface DetectTrial {
  /** Breach visible in Prometheus → rollback process started. */
  latencyMs: number;
  /** Breach visible → the gate's failing event (the poll that saw it). */
  detectMs: number;
  /** Failing event → rollback process started. */
  actMs: number;
  /** Fault injected → breach visible in Prometheus (the scrape; not Flightdeck's). */
  scrapeMs: number;
}

export interface DetectReport {
  hotMs: number;
  jitter: number;
  promPollMs: number;
  trials: DetectTrial[];
  medianMs: number;
  maxMs: number;
}

interface Event {
  type: string;
  at: number;
  [k: string]: unknown;
}

export async function measureDetection(env: PromEnv, o: { trials: number; hotMs?: number }): Promise<DetectReport> {
  const hotMs = o.hotMs ?? 2_000;
  const promPollMs = 20;
  const dir = await tempDir('detect');
  const stampFile = join(dir, 'rollback-started.ns');
  const script = join(dir, 'rollback.sh');
  await writeFile(script, `#!/bin/sh\ndate +%s%N >> "$1"\n`);
  await chmod(script, 0o755);
  const plan = await writePlan(dir, 'plan.json', {
    service: 'detectbench',
    prometheus: { url: env.prom.url, timeout: '2s' },
    nodes: env.fleet.nodes,
    polling: { window: '60m', phases: [{ every: '30s' }], hot: `${hotMs}ms`, jitter: 0 },
    audit: { file: 'audit.jsonl' },
    stages: [
      {
        id: 'canary',
        gates: [{ id: 'pool-saturation', query: DETECT_QUERY, unit: 'ratio', warn: '> 0.3', fail: `> ${DETECT_FAIL}`, onFail: 'rollback' }],
        rollback: { run: [script, stampFile], timeout: '30s' },
      },
      { id: 'full' },
    ],
  });
  const trials: DetectTrial[] = [];
  const url = env.prom.url;
  for (let i = 0; i < o.trials; i++) {
    await env.fleet.clear();
    await waitFor(
      async () => {
        const v = await queryValue(url, DETECT_QUERY);
        return v !== undefined && v < 0.5;
      },
      { what: 'the fleet back below the threshold in Prometheus', timeoutMs: 15_000, intervalMs: 100 },
    );
    if (existsSync(stampFile)) await writeFile(stampFile, '');
    // Each trial is a fresh rollout: the last one's saved state says canary was rolled back, and a stage
    // rolled back is not rolled back again (the engine asks once), so the next trial would wait for nothing.
    await rm(join(dir, '.flightdeck'), { recursive: true, force: true });
    const watch = startFlightdeck(['watch', '--json', '--no-guard', '--stage', 'canary', plan], { cwd: dir });
    try {
      const events = (): Event[] =>
        watch
          .output()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => {
            try {
              return JSON.parse(l) as Event;
            } catch {
              return { type: 'partial', at: 0 };
            }
          });
      await waitFor(
        () => {
          if (watch.exitCode !== null) throw new Error(`flightdeck watch exited with ${watch.exitCode}: ${watch.output().slice(-2000)}`);
          return events().some((e) => e.type === 'polling.changed' && e['hot'] === true);
        },
        { what: 'the session polling hot (gate in its warn band)', timeoutMs: 20_000, intervalMs: 20 },
      );
      // Break at a random phase of the hot cycle, as a real breach would.
      await sleep(Math.random() * hotMs);
      const injectedAt = Date.now();
      await env.fleet.setFault({ saturation: 0.95 });
      let visibleAt = 0;
      const deadline = Date.now() + 15_000;
      while (!visibleAt && Date.now() < deadline) {
        const sent = Date.now();
        const v = await queryValue(url, DETECT_QUERY);
        // Prometheus evaluated the query between sending and answering: take the middle.
        if (v !== undefined && v > DETECT_FAIL) visibleAt = (sent + Date.now()) / 2;
        else await sleep(promPollMs);
      }
      if (!visibleAt) throw new Error('the breach never showed in Prometheus');
      const startedNs = await waitFor(
        async () => {
          if (watch.exitCode !== null) throw new Error(`flightdeck watch exited with ${watch.exitCode}: ${watch.output().slice(-2000)}`);
          const text = existsSync(stampFile) ? (await readFile(stampFile, 'utf8')).trim() : '';
          return text ? text.split('\n')[0] : undefined;
        },
        { what: 'the rollback process to start', timeoutMs: hotMs * 3 + 10_000, intervalMs: 10 },
      );
      const rollbackAt = Number(BigInt(startedNs) / 1000n) / 1000;
      const failing = await waitFor(
        () => events().find((e) => e.type === 'gate.changed' && e['gateId'] === 'pool-saturation' && e['to'] === 'failing'),
        { what: 'the failing event', timeoutMs: 5_000, intervalMs: 20 },
      );
      if (!events().some((e) => e.type === 'action.started' && e['action'] === 'rollback' && e['auto'] === true)) {
        await waitFor(() => events().some((e) => e.type === 'action.started' && e['auto'] === true), { what: 'the auto-rollback event', timeoutMs: 5_000, intervalMs: 20 });
      }
      trials.push({
        latencyMs: round(rollbackAt - visibleAt, 1),
        detectMs: round(failing.at - visibleAt, 1),
        actMs: round(rollbackAt - failing.at, 1),
        scrapeMs: round(visibleAt - injectedAt, 1),
      });
    } finally {
      await stop(watch);
    }
  }
  await env.fleet.clear();
  const lat = trials.map((t) => t.latencyMs);
  return { hotMs, jitter: 0, promPollMs, trials, medianMs: round(median(lat), 1), maxMs: round(Math.max(...lat), 1) };
}
