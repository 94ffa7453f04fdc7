/**
 * Cross-check: a REAL Prometheus (Debian's 2.42, started by
 * test/helpers/prometheus.ts) and promlite scrape the same simulated fleet
 * every second of real time; the same queries at the same instant must agree
 * (label sets exactly, values within what two scrape phases can differ by).
 * Fails, never skips, when the binary is missing: CI installs it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { startDemoPrometheus, type DemoPrometheus } from '../../src/demo/promlite/index.js';
import { startFleet, type Fleet } from '../../src/simulator/index.js';
import { createHttpTransport } from '../../src/sources/http.js';
import { createPromClient } from '../../src/sources/prometheus.js';
import { PromError, type PromClient, type PromSample } from '../../src/sources/types.js';
import { startPrometheus, waitFor, type RunningPrometheus } from '../helpers/prometheus.js';

const JOB = 'test'; // the job name test/helpers/prometheus.ts configures
const transport = createHttpTransport();
let fleet: Fleet;
let real: RunningPrometheus | undefined;
let lite: DemoPrometheus | undefined;
let realClient: PromClient;
let liteClient: PromClient;
let at: number;

const key = (labels: Record<string, string>): string => JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));

async function both(expr: string): Promise<[PromSample[], PromSample[]]> {
  const [r, l] = await Promise.all([realClient.query(expr, { time: at }), liteClient.query(expr, { time: at })]);
  return [r.samples, l.samples];
}

/** Same label sets; values within `rel` of each other (0: equal). */
async function agree(expr: string, rel: number): Promise<void> {
  const [r, l] = await both(expr);
  expect(r.length, `${expr}: real Prometheus has data`).toBeGreaterThan(0);
  expect(l.map((s) => key(s.labels)).sort(), expr).toEqual(r.map((s) => key(s.labels)).sort());
  const byKey = new Map(l.map((s) => [key(s.labels), s]));
  for (const rs of r) {
    const ls = byKey.get(key(rs.labels))!;
    expect(ls.timestamp, expr).toBe(rs.timestamp);
    if (rel === 0) expect(ls.value, `${expr} ${key(rs.labels)}`).toBe(rs.value);
    else expect(Math.abs(ls.value - rs.value) / Math.abs(rs.value), `${expr} ${key(rs.labels)}: promlite ${ls.value} vs Prometheus ${rs.value}`).toBeLessThan(rel);
  }
}

beforeAll(async () => {
  fleet = await startFleet({ nodes: 3, clock: systemClock, seed: 11, profile: { requestRate: 400, extractionFailureRate: 0.1, hashP95Ms: 800 } });
  [real, lite] = await Promise.all([
    startPrometheus({ targets: [...fleet.targets], scrapeInterval: '1s' }),
    startDemoPrometheus({ fleet, clock: systemClock, scrapeIntervalMs: 1000, job: JOB }),
  ]);
  realClient = createPromClient({ url: real.url, transport, timeoutMs: 5_000 });
  liteClient = createPromClient({ url: lite.url, transport, timeoutMs: 5_000 });
  // Prometheus applies its targets a few seconds after start; wait until both hold 6 s of scrapes of every node.
  const enough = 'count_over_time(up[6s]) >= 6';
  await waitFor(async () => (await realClient.query(enough)).samples.length === 3 && (await liteClient.query(enough)).samples.length === 3, {
    timeoutMs: 40_000,
    intervalMs: 250,
    what: 'six scrapes of every node in both servers',
  });
  at = Date.now() - 500;
}, 60_000);

afterAll(async () => {
  await transport.close();
  await lite?.close();
  await real?.stop();
  await fleet?.close();
});

describe('promlite agrees with a real Prometheus 2.42 scraping the same fleet', () => {
  it('same series, labels and gauge values', async () => {
    await agree('up', 0);
    await agree('dhash_low_confidence_queue_length', 0);
    await agree('process_memory_usage_ratio', 0);
    await agree('count by (__name__) ({job="test", __name__=~"dhash_.*|http_.*|stage_.*|helper_.*"})', 0);
    const series = await Promise.all([realClient.series(['helper_bucket_total']), liteClient.series(['helper_bucket_total'])]);
    expect(series[1].map(key).sort()).toEqual(series[0].map(key).sort());
  });

  it("same answers to seed 002's gate queries", async () => {
    await agree('sum(rate(dhash_extraction_failures_total[5s])) / sum(rate(dhash_extractions_total[5s]))', 0.1);
    await agree('histogram_quantile(0.95, sum by (le) (rate(dhash_hash_duration_seconds_bucket[5s])))', 0.05);
    await agree('sum by (instance) (rate(http_requests_total[5s]))', 0.1);
    await agree('max(dhash_low_confidence_queue_length)', 0);
    await agree('increase(dhash_extractions_total[5s])', 0.1);
    await agree('dhash_extractions_total / on(instance) dhash_extractions_total', 0);
  });

  it('same arithmetic edge cases and the same refusal of bad syntax', async () => {
    await agree('sum(up) / 0', 0);
    await agree('max(process_memory_usage_ratio) > bool 2', 0);
    for (const bad of ['sum(up', 'rate(up)', '1 > 2']) {
      const errors = await Promise.all(
        [realClient, liteClient].map((c) =>
          c.query(bad, { time: at }).then(
            () => undefined,
            (e: unknown) => e,
          ),
        ),
      );
      for (const e of errors) expect(e).toBeInstanceOf(PromError);
      expect((errors[1] as PromError).kind).toBe((errors[0] as PromError).kind);
      expect((errors[1] as PromError).message).toBe((errors[0] as PromError).message);
    }
  });
});
