/**
 * `flightdeck promote|rollback` (the built binary, no cockpit) telling the
 * truth (#19): signals stop the step's process group and are audited, the lock
 * is released; `--include` all / unknown names; continueOnFailure ends
 * partial; notifications wait out a 429 Retry-After; refusals say what would
 * proceed and notify nothing about gates. Real scripts, the process table, the
 * audit, and a real HTTP receiver on 127.0.0.1 that fails on command.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAIL, HANG, MARKER, proc, readAudit, readOrder, writeActPlan } from '../helpers/act.js';
import { BIN, flightdeck, ROOT } from '../helpers/cli.js';
import { pidIn } from '../helpers/process-table.js';

let dir: string;
let planFile: string;
const strays: number[] = [];

interface Hit {
  at: number;
  body: any;
}
/** A webhook receiver whose answer per request is scripted; it logs every request with its arrival time. */
async function receiver(reply: (i: number) => { status: number; headers?: Record<string, string> }) {
  const hits: Hit[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const i = hits.length;
      hits.push({ at: Date.now(), body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      const r = reply(i);
      res.writeHead(r.status, { 'content-type': 'text/plain', ...r.headers });
      res.end(r.status < 300 ? 'ok' : 'slow down');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
  });
  return { url, hits };
}
const cleanups: Array<() => Promise<void>> = [];

function writePlan(extra: { notify?: unknown[]; rollbackSteps?: unknown[] } = {}) {
  return writeActPlan(planFile, {
    service: 'stage-validation',
    notify: extra.notify,
    stages: [
      {
        id: 'staging-warn',
        gates: [{ id: 'queue', command: { run: ['bash', '-c', `echo $$ > "$MARKER_DIR/gate.pid"; sleep \${QUEUE_SLEEP:-0}; echo 5000; exit \${QUEUE_EXIT:-0}`], timeout: '60s' }, onFail: 'block' }],
        promote: { run: [MARKER, 'promote'], dryRun: ['--dry-run'] },
        rollback: {
          steps: extra.rollbackSteps ?? [
            { name: 'Flip global mode to warn', run: [MARKER, 'warn'] },
            { name: 'Disable the flag (mode=off) on specific endpoints', optional: true, run: [MARKER, 'off'] },
            { name: 'Roll back to the previous tag', optional: true, run: [MARKER, 'tag'] },
            { name: 'Restore the snapshot', optional: true, run: [MARKER, 'restore'] },
            { name: 'Log a post-incident note', run: [MARKER, 'note'] },
          ],
        },
      },
      { id: 'prod', promote: { run: [MARKER, 'promote-prod'] }, rollback: { run: [MARKER, 'rb-prod'] } },
    ],
  });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-act19-'));
  planFile = join(dir, 'plan.yaml');
  await writePlan();
});
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  for (const pid of strays.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await rm(dir, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}) => ({ MARKER_DIR: dir, PID_DIR: dir, ...extra });
const order = () => readOrder(dir);
const audit = () => readAudit(dir);
const fallback = async () => (existsSync(join(dir, 'logs/notification_fallback.jsonl')) ? (await readFile(join(dir, 'logs/notification_fallback.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l)) : []);

async function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('a signal to the CLI while a step runs', () => {
  for (const [sig, code] of [['SIGTERM', 143], ['SIGINT', 130], ['SIGHUP', 129]] as const) {
    it(`${sig}: the step's process group is stopped, the action audited as aborted with ${sig}, the lock released, exit ${code}`, async () => {
      await writePlan({ rollbackSteps: [{ name: 'hangs', run: [HANG] }, { name: 'after', run: [MARKER, 'after'] }] });
      const sub = execa(BIN, ['rollback', planFile, '--yes', '--reason', 'p99 breach'], { env: { NO_COLOR: '1', ...env() }, reject: false, cwd: ROOT, stdin: 'ignore' });
      await until(() => existsSync(join(dir, 'parent.pid')) && existsSync(join(dir, 'child.pid')), 'the step to start');
      const parent = await pidIn(join(dir, 'parent.pid'));
      const child = await pidIn(join(dir, 'child.pid'));
      strays.push(parent, child);
      expect(proc(parent)).toBeDefined();
      const lock = join(dir, '.flightdeck', 'plan.yaml.lock');
      expect(existsSync(lock)).toBe(true);
      sub.kill(sig);
      const r = await sub;
      expect(r.exitCode).toBe(code);
      expect(String(r.stdout)).toMatch(new RegExp(`${sig} received: stopping`));
      // Neither the script nor its child survives, re-parented to PID 1 or otherwise.
      expect(proc(parent)).toBeUndefined();
      expect(proc(child)).toBeUndefined();
      expect(await order()).toEqual([]);
      const last = (await audit()).at(-1);
      expect(last).toMatchObject({ action: 'rollback', result: 'aborted', reason: 'p99 breach', details: { abortedBy: sig } });
      expect(last.steps.map((s: { status: string }) => s.status)).toEqual(['aborted', 'skipped']);
      expect(existsSync(lock)).toBe(false);
    });
  }
});

describe('a signal to the CLI while the gates are evaluated', () => {
  it('SIGINT stops the gate command that runs (its process group), exits 130 at once and runs nothing', async () => {
    const sub = execa(BIN, ['rollback', planFile, '--yes'], { env: { NO_COLOR: '1', ...env({ QUEUE_SLEEP: '30' }) }, reject: false, cwd: ROOT, stdin: 'ignore' });
    await until(() => existsSync(join(dir, 'gate.pid')), 'the gate command to start');
    const gate = await pidIn(join(dir, 'gate.pid'));
    strays.push(gate);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    sub.kill('SIGINT');
    const r = await sub;
    expect(r.exitCode).toBe(130);
    expect(String(r.stdout)).toMatch(/interrupted by SIGINT before the rollback started: nothing ran/);
    expect(Date.now() - t0).toBeLessThan(5_000); // not the 30 s the gate command would take
    expect(proc(gate)).toBeUndefined();
    expect(await order()).toEqual([]);
    expect(existsSync(join(dir, '.flightdeck', 'plan.yaml.lock'))).toBe(false);
  });
});

describe('--include', () => {
  it('all runs every optional step, in the playbook order', async () => {
    const r = await flightdeck(['rollback', planFile, '--yes', '--include', 'all'], { env: env() });
    expect(r.code).toBe(0);
    expect(await order()).toEqual(['warn', 'off', 'tag', 'restore', 'note']);
    expect(r.stdout).toMatch(/rollback ok: 5 steps run/);
  });

  it('a misspelt name is an error (exit 2) listing the step names, and nothing runs', async () => {
    const r = await flightdeck(['rollback', planFile, '--yes', '--include', 'Restore the snapshott'], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/--include "Restore the snapshott": no such step in the rollback of staging-warn/);
    expect(r.stdout).toContain('"Flip global mode to warn", "Disable the flag (mode=off) on specific endpoints", "Roll back to the previous tag", "Restore the snapshot", "Log a post-incident note"');
    expect(await order()).toEqual([]);
    expect(existsSync(join(dir, 'audit.jsonl'))).toBe(false);
  });

  it('an exact name runs that optional step only', async () => {
    const r = await flightdeck(['rollback', planFile, '--yes', '--include', 'Restore the snapshot'], { env: env() });
    expect(r.code).toBe(0);
    expect(await order()).toEqual(['warn', 'restore', 'note']);
  });
});

describe('continueOnFailure', () => {
  it('a failed step gives a partial rollback: exit 1, audit partial, a warning notification naming the step', async () => {
    const rx = await receiver(() => ({ status: 200 }));
    await writePlan({
      notify: [{ kind: 'webhook', urlEnv: 'HOOK' }],
      rollbackSteps: [
        { name: 'mode-warn', run: [MARKER, 'warn'] },
        { name: 'previous-tag', run: [FAIL], continueOnFailure: true },
        { name: 'note', run: [MARKER, 'note'] },
      ],
    });
    const r = await flightdeck(['rollback', planFile, '--yes', '--reason', 'error budget'], { env: env({ HOOK: rx.url }) });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/rollback partial: 3 steps run; 1 failed and continued past \(continueOnFailure\): 'previous-tag' \(exit 3\)/);
    expect(await order()).toEqual(['warn', 'fail', 'note']);
    expect((await audit()).at(-1)).toMatchObject({ action: 'rollback', result: 'partial', details: { failedSteps: ['previous-tag'] } });
    const end = rx.hits.map((h) => h.body).find((b) => b.event === 'action.partial');
    expect(end).toMatchObject({ severity: 'warning', details: { outcome: 'partial', failedSteps: ['previous-tag'] } });
    expect(end.title).toMatch(/rollback of staging-warn PARTIAL \(failed: previous-tag\)/);
    expect(rx.hits.map((h) => h.body.event)).not.toContain('action.finished');
  });
});

describe('notification delivery before the CLI exits', () => {
  it('waits out 429 + Retry-After: 3 twice, delivers, and nothing goes to the fallback file', async () => {
    const rx = await receiver((i) => (i < 2 ? { status: 429, headers: { 'retry-after': '3' } } : { status: 200 }));
    await writePlan({ notify: [{ kind: 'slack', urlEnv: 'SLACK_WEBHOOK_URL' }] });
    const t0 = Date.now();
    const r = await flightdeck(['rollback', planFile, '--yes', '--reason', 'p99 breach'], { env: env({ SLACK_WEBHOOK_URL: rx.url }), timeoutMs: 40_000 });
    expect(r.code).toBe(0);
    expect(rx.hits).toHaveLength(4); // started: 429, 429, 200; finished: 200
    expect(rx.hits[1]!.at - rx.hits[0]!.at).toBeGreaterThanOrEqual(2_900);
    expect(rx.hits[2]!.at - rx.hits[1]!.at).toBeGreaterThanOrEqual(2_900);
    const texts = rx.hits.map((h) => h.body.text as string);
    expect(texts[2]).toMatch(/rollback of staging-warn started/);
    expect(texts[3]).toMatch(/rollback of staging-warn finished/);
    expect(r.stdout).toMatch(/waiting up to 30s for \d notification deliver/);
    expect(r.stdout).toMatch(/answered HTTP 429: slow down; next attempt in 3s/);
    expect(r.stdout).toMatch(/delivered to slack/);
    expect(await fallback()).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(30_000);
  }, 45_000);

  it('what cannot be delivered within --notify-wait goes to the fallback file', async () => {
    const rx = await receiver(() => ({ status: 429, headers: { 'retry-after': '10' } }));
    await writePlan({ notify: [{ kind: 'slack', urlEnv: 'SLACK_WEBHOOK_URL' }] });
    const r = await flightdeck(['rollback', planFile, '--yes', '--notify-wait', '2s'], { env: env({ SLACK_WEBHOOK_URL: rx.url }) });
    expect(r.code).toBe(0);
    const lines = await fallback();
    expect(lines.map((l) => l.event).sort()).toEqual(['action.finished', 'action.started']);
    expect(lines[0].fallback.channels[Object.keys(lines[0].fallback.channels)[0]!]).toMatch(/HTTP 429.*falls after the delivery wait ends/);
  });
});

describe('refusals and what is notified', () => {
  it('a blocked promote names value, threshold, how long, the command that proceeds; it notifies the refusal only, with operator, reason and SSH client', async () => {
    const rx = await receiver(() => ({ status: 200 }));
    await writePlan({ notify: [{ kind: 'webhook', urlEnv: 'HOOK' }] });
    const e = env({ HOOK: rx.url, QUEUE_EXIT: '1', SSH_CLIENT: '203.0.113.7 52144 22' });
    const r = await flightdeck(['promote', planFile, '--yes', '--reason', 'CAB-1234'], { env: e });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/refused: staging-warn is not promotable \(queue failing 1 \(threshold != 0, failing for \d+(ms|s)\)\)/);
    expect(r.stdout).toContain(`flightdeck promote ${planFile} --yes --override --reason`);
    const again = await flightdeck(['promote', planFile, '--yes', '--reason', 'CAB-1234'], { env: e });
    expect(again.code).toBe(3);
    const events = rx.hits.map((h) => h.body.event);
    expect(events).toEqual(['action.refused', 'action.refused']);
    expect(rx.hits[0]!.body).toMatchObject({ reason: 'CAB-1234', sshClient: '203.0.113.7', details: { refusal: expect.stringMatching(/not promotable/) } });
    expect(rx.hits[0]!.body.operator).toMatch(/^\S+@\S+$/);
    const refused = (await audit()).filter((l) => l.result === 'refused');
    expect(refused).toHaveLength(2);
    expect(refused[0]).toMatchObject({ reason: 'CAB-1234', details: { refusal: expect.stringMatching(/^staging-warn is not promotable/) } });
  });

  it('rollback --yes while a gate fails notifies the rollback only, not the gate state', async () => {
    const rx = await receiver(() => ({ status: 200 }));
    await writePlan({ notify: [{ kind: 'webhook', urlEnv: 'HOOK' }] });
    const r = await flightdeck(['rollback', planFile, '--yes', '--reason', 'queue backed up'], { env: env({ HOOK: rx.url, QUEUE_EXIT: '1' }) });
    expect(r.code).toBe(0);
    expect(await order()).toEqual(['warn', 'note']);
    expect(rx.hits.map((h) => h.body.event)).toEqual(['action.started', 'action.finished']);
  });

  it('promote --dry-run notifies its action only, marked as a dry run, never a gate state', async () => {
    const rx = await receiver(() => ({ status: 200 }));
    await writePlan({ notify: [{ kind: 'webhook', urlEnv: 'HOOK' }] });
    const r = await flightdeck(['promote', planFile, '--dry-run', '--reason', 'rehearsal'], { env: env({ HOOK: rx.url, SSH_CLIENT: '198.51.100.4 40000 22' }) });
    expect(r.code).toBe(0);
    const bodies = rx.hits.map((h) => h.body);
    expect(bodies.map((b) => b.event)).toEqual(['action.started', 'action.finished']);
    for (const b of bodies) {
      expect(b).toMatchObject({ dryRun: true, reason: 'rehearsal', sshClient: '198.51.100.4' });
      expect(b.title).toMatch(/\(dry run\)/);
      expect(b.severity).not.toBe('critical');
    }
  });
});
