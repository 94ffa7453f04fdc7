/**
 * `flightdeck validate --online` against a REAL Prometheus 2.42 with a rule
 * file, scraping an exporter this test controls: a misspelled alert and a
 * misspelled metric fail with both named at their line and column; a correct
 * plan passes; `check` warns about the same names at start-up.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Counter, Gauge, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { BIN, flightdeck } from '../helpers/cli.js';
import { freePort, startPrometheus, waitForValue, type RunningPrometheus } from '../helpers/prometheus.js';

const RULES = `
groups:
  - name: flightdeck-validate
    rules:
      - alert: QueueDepthHigh
        expr: fd_queue_depth > 100
        labels: { severity: page }
      - record: job:fd_requests:rate5m
        expr: sum by (job) (rate(fd_requests_total[5m]))
`;

const registry = new Registry();
const depth = new Gauge({ name: 'fd_queue_depth', help: 'Queue depth', labelNames: ['shard'], registers: [registry] });
const requests = new Counter({ name: 'fd_requests_total', help: 'Requests', labelNames: ['code'], registers: [registry] });
const exporter = http.createServer((_req, res) => {
  void registry.metrics().then((text) => {
    res.writeHead(200, { 'content-type': registry.contentType });
    res.end(text);
  });
});

let prom: RunningPrometheus | undefined;
let dir: string;

function plan(promUrl: string, gates: string): string {
  return `service: validate-online
prometheus: { url: "${promUrl}", timeout: 3s }
stages:
  - id: canary
    gates:
${gates}`;
}

const GOOD_GATES = `      - id: depth
        query: max(fd_queue_depth{shard="a"})
        fail: "> 5"
      - id: error-ratio
        query: |
          sum(rate(fd_requests_total{code=~"5.."}[5m]))
            / sum(rate(fd_requests_total[5m]))
        fail: "> 0.05"
        noData: pass
      - id: queue-alert
        alert: QueueDepthHigh
      - id: codes
        cardinality: { metric: fd_requests_total, label: code, allowed: ["200", "500"] }
`;

const BAD_GATES = `      - id: depth
        query: max(fd_queu_depth{shard="a"})
        fail: "> 5"
      - id: queue-alert
        alert: QueueDepthHihg
      - id: wrong-label
        query: sum(fd_requests_total{cod="200"})
        fail: "> 5"
      - id: recording
        alert: job:fd_requests:rate5m
      - id: newer-promql
        query: limitk(1, fd_queue_depth)
        fail: "> 5"
`;

async function writePlan(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

beforeAll(async () => {
  depth.set({ shard: 'a' }, 3);
  requests.inc({ code: '200' }, 10);
  requests.inc({ code: '500' }, 1);
  await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', () => resolve()));
  const { port } = exporter.address() as AddressInfo;
  prom = await startPrometheus({ targets: [`127.0.0.1:${port}`], rules: RULES });
  dir = await mkdtemp(join(tmpdir(), 'fd-validate-online-'));
  await waitForValue(prom.url, 'fd_queue_depth', 'the first scrape');
}, 60_000);

afterAll(async () => {
  await prom?.stop();
  exporter.closeAllConnections();
  await new Promise<void>((resolve) => exporter.close(() => resolve()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('validate --online against a real Prometheus 2.42', () => {
  it('a correct plan passes, and says what it asked', async () => {
    const file = await writePlan('good.yaml', plan(prom!.url, GOOD_GATES));
    const r = await flightdeck(['validate', '--online', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${file}: ok — validate-online, 1 stage(s), 4 gate(s), 0 node(s); online: 1 alert(s), 2 query(ies), 4 selector(s) checked against ${prom!.url}`);
  });

  it('a misspelled alert and a misspelled metric fail, each named at its line and column', async () => {
    const file = await writePlan('bad.yaml', plan(prom!.url, BAD_GATES));
    const offline = await flightdeck(['validate', file]);
    expect(offline.code).toBe(0); // nothing wrong that the plan alone can tell
    const r = await flightdeck(['validate', '--online', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      `${file}:7:20 stages[0].gates[0].query: no series match fd_queu_depth{shard="a"} in the last 1h: a misspelled metric, or one not exported yet`,
      `${file}:10:16 stages[0].gates[1].alert: Prometheus has no alerting rule named "QueueDepthHihg" (1 alerting rule loaded): this gate would never see it fire; did you mean "QueueDepthHigh"?`,
      `${file}:12:20 stages[0].gates[2].query: no series match fd_requests_total{cod="200"} in the last 1h, though fd_requests_total has 2: a label matcher is off`,
      `${file}:15:16 stages[0].gates[3].alert: "job:fd_requests:rate5m" is a recording rule in Prometheus, not an alerting rule: this gate would never see it fire`,
      expect.stringMatching(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:17:16 stages\\[0\\]\\.gates\\[4\\]\\.query: Prometheus refuses this query: .*bad_data.*`)),
    ]);
  });

  it('check warns about the same names at start-up, on stderr, leaving its JSON alone', async () => {
    const file = await writePlan('bad.yaml', plan(prom!.url, BAD_GATES));
    const r = await flightdeck(['check', '--json', file]);
    expect(() => JSON.parse(r.stdout)).not.toThrow();
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('warning: plan check against Prometheus: '));
    expect(warnings.some((w) => w.includes(`${file}:10:16 stages[0].gates[1].alert: Prometheus has no alerting rule named "QueueDepthHihg"`))).toBe(true);
    expect(warnings.some((w) => w.includes(`${file}:7:20 stages[0].gates[0].query: no series match fd_queu_depth{shard="a"}`))).toBe(true);
  });

  it('watch --json streams the same names as warning events soon after it starts', async () => {
    const file = await writePlan('bad.yaml', plan(prom!.url, BAD_GATES));
    const child = execa(BIN, ['watch', '--no-guard', '--json', file], { reject: false, env: { NO_COLOR: '1' }, stdin: 'ignore', cwd: dir, timeout: 40_000 });
    const warnings: string[] = [];
    let buffered = '';
    const seen = new Promise<void>((resolve) => {
      child.stdout!.on('data', (b: Buffer) => {
        buffered += b.toString('utf8');
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          try {
            const e = JSON.parse(line) as { type?: string; text?: string };
            if (e.type === 'warning' && e.text?.startsWith('plan check against Prometheus: ')) warnings.push(e.text);
          } catch {
            // not an event line
          }
          if (warnings.length >= 4) resolve();
        }
      });
      child.stdout!.on('end', () => resolve());
    });
    await Promise.race([seen, new Promise((r) => setTimeout(r, 30_000))]);
    child.kill('SIGTERM');
    await child;
    expect(warnings.some((w) => w.includes(`${file}:10:16 stages[0].gates[1].alert: Prometheus has no alerting rule named "QueueDepthHihg"`))).toBe(true);
    expect(warnings.some((w) => w.includes(`${file}:7:20 stages[0].gates[0].query: no series match fd_queu_depth{shard="a"}`))).toBe(true);
  });

  it('Prometheus down: exit 2, "cannot check online", no made-up findings', async () => {
    const port = await freePort();
    const file = await writePlan('down.yaml', plan(`http://127.0.0.1:${port}`, GOOD_GATES));
    const r = await flightdeck(['validate', '--online', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot check online: Prometheus /api/v1/rules: .* is unreachable \\(ECONNREFUSED\\)$`));
  });

  it('--prometheus-url points the online check at another Prometheus', async () => {
    const port = await freePort();
    const file = await writePlan('elsewhere.yaml', plan(`http://127.0.0.1:${port}`, GOOD_GATES));
    const r = await flightdeck(['validate', '--online', '--prometheus-url', prom!.url, file]);
    expect(r.code).toBe(0);
  });
});
