/**
 * The demo's Prometheus end to end: a 3-node simulated fleet, promlite
 * scraping it every 5 s of a ManualClock, and the REAL client
 * (createPromClient over createHttpTransport) asking seed 002's questions.
 * The numbers must come back as the fleet was configured, move when a fault
 * is injected, alerts must go pending then firing on `for`, and a node that
 * goes down must show as up == 0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from '../../src/clock.js';
import { startDemoPrometheus, type DemoPrometheus } from '../../src/demo/promlite/index.js';
import { bucketQuantile } from '../../src/demo/promlite/quantile.js';
import { logNormal } from '../../src/simulator/distribution.js';
import { startFleet, type Fleet } from '../../src/simulator/index.js';
import { HASH_BUCKETS } from '../../src/simulator/node-model.js';
import { createHttpTransport } from '../../src/sources/http.js';
import { createPromClient } from '../../src/sources/prometheus.js';
import type { PromAlert, PromClient } from '../../src/sources/types.js';

const FAILURE_RATE = 'sum(rate(dhash_extraction_failures_total[10m])) / sum(rate(dhash_extractions_total[10m]))';
const P95_HASH = 'histogram_quantile(0.95, sum by (le) (rate(dhash_hash_duration_seconds_bucket[15m])))';
const STEP = 5_000;

const RULES =
  readFileSync(join(import.meta.dirname, '../../fixtures/prometheus-rules/seed-003.rules.yml'), 'utf8') +
  `
  - name: dhash
    rules:
      - alert: ExtractionFailuresHigh
        expr: sum(rate(dhash_extraction_failures_total[1m])) / sum(rate(dhash_extractions_total[1m])) > 0.05
        for: 2m
        labels: { severity: page }
        annotations: { summary: "extraction failures at {{ $value | humanizePercentage }}" }
`;

const clock = new ManualClock();
const transport = createHttpTransport();
let fleet: Fleet;
let prom: DemoPrometheus;
let client: PromClient;

/** What histogram_quantile over rates gives for the fleet's log-normal hash times: Prometheus's interpolation on the same buckets. */
function expectedHashP95(p95Seconds: number): number {
  const dist = logNormal(0.95, p95Seconds, 0.5);
  return bucketQuantile(0.95, [...HASH_BUCKETS.map((b) => ({ upperBound: b, count: dist.cdf(b) })), { upperBound: Infinity, count: 1 }]);
}

/** Steps the clock in scrape-sized steps, letting every scrape land; `each` runs after each step. */
async function run(ms: number, each?: () => Promise<boolean | void>): Promise<void> {
  for (let t = 0; t < ms; t += STEP) {
    await clock.advance(STEP);
    await prom.idle();
    if ((await each?.()) === true) return;
  }
}

async function value(expr: string): Promise<number> {
  const r = await client.query(expr);
  expect(r.samples, expr).toHaveLength(1);
  return r.samples[0]!.value;
}

const alertNamed = (alerts: PromAlert[], name: string, labels: Record<string, string> = {}): PromAlert | undefined =>
  alerts.find((a) => a.name === name && Object.entries(labels).every(([k, v]) => a.labels[k] === v));

beforeAll(async () => {
  fleet = await startFleet({ nodes: 3, clock, seed: 7, profile: { extractionFailureRate: 0.02, hashP95Ms: 400 } });
  prom = await startDemoPrometheus({ fleet, clock, scrapeIntervalMs: STEP, rulesYaml: RULES });
  client = createPromClient({ url: prom.url, transport, timeoutMs: 5_000 });
  await prom.idle();
  await run(15 * 60_000);
});

afterAll(async () => {
  await transport.close();
  await prom?.close();
  await fleet?.close();
});

describe('promlite scraping a simulated fleet', () => {
  it('reports every node up, under job "fleet"', async () => {
    const up = await client.query('up');
    expect(up.samples.map((s) => s.labels.instance).sort()).toEqual([...fleet.targets].sort());
    expect(up.samples.every((s) => s.value === 1 && s.labels.job === 'fleet')).toBe(true);
    expect(up.samples[0]!.timestamp).toBe(clock.now());
  });

  it("answers seed 002's extraction failure rate and p95 hash time as configured", async () => {
    expect(await value(FAILURE_RATE)).toBeCloseTo(0.02, 3);
    const p95 = await value(P95_HASH);
    expect(p95).toBeGreaterThan(0.4 * 0.8); // the configured 400 ms, within bucket resolution
    expect(p95).toBeLessThan(0.4 * 1.2);
    expect(Math.abs(p95 - expectedHashP95(0.4)) / expectedHashP95(0.4)).toBeLessThan(0.01);
    expect(await value('max(dhash_low_confidence_queue_length)')).toBe(Math.max(...[0, 1, 2].map((i) => Math.round(fleet.faultOf(i).queueLength))));
    expect(await value('sum(rate(http_requests_total[5m]))')).toBeCloseTo([0, 1, 2].reduce((s, i) => s + fleet.faultOf(i).requestRate, 0), 0);
  });

  it('range queries replay the recent past (as check --for backfill asks)', async () => {
    const now = clock.now();
    const series = await client.queryRange(FAILURE_RATE, { start: now - 5 * 60_000, end: now, stepMs: 60_000 });
    expect(series).toHaveLength(1);
    expect(series[0]!.values).toHaveLength(6);
    for (const s of series[0]!.values) expect(s.value).toBeCloseTo(0.02, 2);
  });

  it('a fault moves the numbers, and a `for` alert goes pending, then firing', async () => {
    expect(alertNamed(await client.alerts(), 'ExtractionFailuresHigh')).toBeUndefined();
    await fleet.setFault('all', { extractionFailureRate: 0.2, hashP95Ms: 2500 });
    const faultAt = clock.now();
    let pending: { seenAt: number; alert: PromAlert } | undefined;
    let firing: { seenAt: number; alert: PromAlert } | undefined;
    await run(15 * 60_000, async () => {
      const a = alertNamed(await client.alerts(), 'ExtractionFailuresHigh');
      if (a?.state === 'pending' && !pending) pending = { seenAt: clock.now(), alert: a };
      if (a?.state === 'firing' && !firing) firing = { seenAt: clock.now(), alert: a };
    });
    expect(pending, 'the alert was pending first').toBeDefined();
    expect(firing, 'the alert fired').toBeDefined();
    const activeAt = pending!.alert.activeAt!;
    expect(activeAt).toBeGreaterThan(faultAt);
    expect(activeAt).toBeLessThan(faultAt + 60_000);
    expect(firing!.alert.activeAt).toBe(activeAt); // same alert: activeAt kept
    expect(firing!.seenAt - activeAt).toBeGreaterThanOrEqual(2 * 60_000);
    expect(firing!.seenAt - activeAt).toBeLessThanOrEqual(2 * 60_000 + STEP);
    expect(firing!.alert.labels).toEqual({ alertname: 'ExtractionFailuresHigh', severity: 'page' });
    expect(firing!.alert.annotations.summary).toMatch(/^extraction failures at (19\.9\d*|20(\.\d+)?)%$/);
    expect(firing!.alert.value).toBeCloseTo(0.2, 2);

    expect(await value(FAILURE_RATE)).toBeCloseTo(0.2, 2);
    const p95 = await value(P95_HASH);
    expect(Math.abs(p95 - expectedHashP95(2.5)) / expectedHashP95(2.5)).toBeLessThan(0.01);
    expect(p95).toBeGreaterThan(2); // seed 002's rollback threshold is crossed
    const alerts = await client.query('ALERTS{alertname="ExtractionFailuresHigh"}');
    expect(alerts.samples.map((s) => s.labels.alertstate)).toEqual(['firing']);
  });

  it('clearing the fault resolves the alert', async () => {
    await fleet.clearFaults();
    await run(5 * 60_000, async () => !alertNamed(await client.alerts(), 'ExtractionFailuresHigh'));
    expect(alertNamed(await client.alerts(), 'ExtractionFailuresHigh')).toBeUndefined();
  });

  it('a node that goes down shows up == 0, loses its series at once, and fires ServiceDown after 1m', async () => {
    const down = fleet.nodes[0]!;
    const instance = fleet.targets[0]!;
    await fleet.setFault(down.name, { down: true });
    await run(STEP);
    const up = await client.query('up');
    expect(Object.fromEntries(up.samples.map((s) => [s.labels.instance, s.value]))).toEqual(
      Object.fromEntries(fleet.targets.map((t) => [t, t === instance ? 0 : 1])),
    );
    // Prometheus writes staleness markers for a target that stops answering: its series vanish now, not in 5 minutes.
    const extractions = await client.query('dhash_extractions_total');
    expect(extractions.samples.map((s) => s.labels.instance).sort()).toEqual(fleet.targets.filter((t) => t !== instance).sort());

    const serviceDown = async () => alertNamed(await client.alerts(), 'ServiceDown', { instance });
    // Rules run at the scrape's tick and see the previous scrape, so the alert turns pending one evaluation later.
    await run(2 * STEP, async () => !!(await serviceDown()));
    const pending = await serviceDown();
    expect(pending?.state).toBe('pending');
    await run(65_000, async () => (await serviceDown())?.state === 'firing');
    const fired = await serviceDown();
    expect(fired?.state).toBe('firing');
    expect(fired?.labels).toMatchObject({ alertname: 'ServiceDown', job: 'fleet', instance, severity: 'critical' });
    expect(fired?.annotations.summary).toBe(`${instance} is down`);
    expect(fired?.value).toBe(0);
    expect(fired?.activeAt).toBe(pending?.activeAt);
    expect(clock.now() - fired!.activeAt!).toBeGreaterThanOrEqual(60_000);

    await fleet.clearFaults(down.name);
    await run(2 * STEP);
    expect(await value(`up{instance="${instance}"}`)).toBe(1);
    expect(await serviceDown()).toBeUndefined();
  });

  it("seed 001's cardinality check sees an out-of-set helper bucket through /api/v1/series", async () => {
    const now = clock.now();
    const buckets = async () => new Set((await client.series(['helper_bucket_total'], { start: now - 60_000, end: clock.now() })).map((s) => s.bucket));
    expect([...(await buckets())].sort()).toEqual(['1', '11+', '2-5', '6-10']);
    await fleet.setFault([1], { badBucket: true });
    await run(2 * STEP);
    expect(await buckets()).toContain('17');
  });

  it('the targets API reports each scrape', async () => {
    const res = await transport.request({ method: 'GET', url: `${prom.url}/api/v1/targets`, timeoutMs: 2000, maxBytes: 1 << 20 });
    const body = JSON.parse(res.body) as { data: { activeTargets: Array<{ health: string; labels: { instance: string } }> } };
    expect(body.data.activeTargets.map((t) => [t.labels.instance, t.health]).sort()).toEqual([...fleet.targets].sort().map((t) => [t, 'up']));
  });
});
