/**
 * Auto-rollback for real: `flightdeck watch --json` (the binary) on a plan
 * whose rollback gate reads a real Prometheus scraping the simulated fleet.
 * A fault held past the gate's `for` starts the rollback script exactly once;
 * notifications reach a real webhook receiver; a channel that is down is
 * reported failed; a sentinel secret in its URL appears nowhere.
 */
import { execa, type ResultPromise } from 'execa';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Fleet } from '../../src/simulator/index.js';
import { ERROR_RATE, startLiveFleet, type LiveFleet } from '../helpers/live-fleet.js';
import { BIN, ROOT } from '../helpers/cli.js';
import { freePort, waitFor, type RunningPrometheus } from '../helpers/prometheus.js';

const SENTINEL = 'SENTINEL-SECRET-9f3a';
let live: LiveFleet;
let fleet: Fleet;
let prom: RunningPrometheus;
let dir: string;
let receiver: http.Server;
let received: Array<{ event?: string; title?: string; text?: string }> = [];
let child: ResultPromise | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-auto-'));
  live = await startLiveFleet({ nodes: 3, seed: 9 });
  ({ fleet, prom } = live);
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
}, 60_000);

afterAll(async () => {
  child?.kill('SIGKILL');
  receiver?.close();
  await live?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('a breach held past `for` rolls back once, notifies, and leaks no secret', async () => {
  const deadPort = await freePort();
  await writeFile(
    join(dir, 'plan.yaml'),
    stringify({
      service: 'dhash',
      prometheus: { url: prom.url, timeout: '2s' },
      nodes: fleet.planNodes(),
      polling: { window: '60m', phases: [{ every: '2s' }], hot: '1s', jitter: 0 },
      audit: { file: 'audit.jsonl' },
      logs: { dir: 'logs' },
      stages: [
        {
          id: 'canary-10',
          gates: [{ id: 'error-rate', query: ERROR_RATE, unit: 'ratio', fail: '> 0.05', for: '4s', onFail: 'rollback' }],
          rollback: { steps: [{ name: 'restore', run: [`${ROOT}fixtures/actions/marker.sh`, 'rollback'] }] },
        },
        { id: 'full' },
      ],
      notify: [
        { kind: 'webhook', name: 'ops-hook', urlEnv: 'OPS_HOOK_URL', timeout: '1s', retries: 0 },
        { kind: 'slack', urlEnv: 'SLACK_WEBHOOK_URL', timeout: '1s', retries: 1 },
        { kind: 'file', name: 'fallback', path: 'logs/notification_fallback.jsonl' },
      ],
    }),
  );
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  child = execa(BIN, ['watch', 'plan.yaml', '--json', '--no-guard', '--record', 'window.ndjson'], {
    cwd: dir,
    env: { MARKER_DIR: dir, OPS_HOOK_URL: url, SLACK_WEBHOOK_URL: `http://127.0.0.1:${deadPort}/services/T0/B0/${SENTINEL}` },
    reject: false,
    stdin: 'ignore',
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const events = () => out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; [k: string]: unknown });

  await waitFor(() => events().some((e) => e.type === 'gate.changed' && e.to === 'ok'), { timeoutMs: 15_000, what: 'the gate ok' });
  await fleet.setFault('all', { errorRate: 0.3 });
  await waitFor(() => existsSync(join(dir, 'order')), { timeoutMs: 30_000, what: 'the rollback script to run' });
  // Keep watching while the gate stays failing: no second rollback.
  await new Promise((r) => setTimeout(r, 6_000));
  await fleet.clearFaults();
  child.kill('SIGTERM');
  const res = await child;
  expect(res.exitCode).toBe(0);

  expect((await readFile(join(dir, 'order'), 'utf8')).trim().split('\n')).toEqual(['rollback']);
  const ev = events();
  expect(ev.filter((e) => e.type === 'rollback.requested')).toHaveLength(1);
  const changes = ev.filter((e) => e.type === 'gate.changed').map((e) => `${e.from}->${e.to}`);
  expect(changes).toContain('pending->failing');
  expect(ev.some((e) => e.type === 'action.finished' && e.ok === true)).toBe(true);
  expect(ev.some((e) => e.type === 'stage.rolled-back')).toBe(true);

  const audit = (await readFile(join(dir, 'audit.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  // One action: its write-ahead line, then its result.
  expect(audit.filter((l) => l.action === 'auto-rollback').map((l) => [l.result, l.stage])).toEqual([
    ['started', 'canary-10'],
    ['ok', 'canary-10'],
  ]);

  // Delivered to the live receiver: the failing gate, the auto-rollback, the action.
  const kinds = received.map((n) => n.event);
  expect(kinds).toEqual(expect.arrayContaining(['gate.failing', 'rollback.auto', 'action.started', 'action.finished']));
  // The dead Slack channel is reported as failed; the file channel keeps every notification.
  expect(ev.some((e) => e.type === 'notify.delivery' && e.outcome === 'failed')).toBe(true);
  const fallback = await readFile(join(dir, 'logs/notification_fallback.jsonl'), 'utf8');
  expect(fallback).toMatch(/rollback\.auto/);

  // The sentinel is nowhere: stdout stream, audit, fallback, recording, action logs.
  const logs = await Promise.all((await readdir(join(dir, 'logs'))).map((f) => readFile(join(dir, 'logs', f), 'utf8')));
  for (const text of [out, res.stderr as string, await readFile(join(dir, 'audit.jsonl'), 'utf8'), fallback, await readFile(join(dir, 'window.ndjson'), 'utf8'), ...logs]) {
    expect(text).not.toContain(SENTINEL);
  }
}, 90_000);
