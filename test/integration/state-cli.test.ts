/**
 * `flightdeck promote|rollback|check|state` on seed 002's real plan with an
 * unusable rollout state: the built binary exits 2 with the file, the problem
 * and the fix, runs nothing and audits nothing as done; `state set` repairs it.
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flightdeck, ROOT } from '../helpers/cli.js';

let dir: string;
let plan: string;
const statePath = () => join(dir, '.flightdeck', 'seed-002.yaml.state.json');
const auditFile = () => join(dir, 'monitor_logs', 'audit.jsonl');
const audit = async (): Promise<Array<Record<string, any>>> =>
  existsSync(auditFile()) ? (await readFile(auditFile(), 'utf8')).trim().split('\n').map((l) => JSON.parse(l)) : [];
// Nothing listens there: a poll (if one were made) fails fast.
const flags = ['--prometheus-url', 'http://127.0.0.1:9', '--nodes-file'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-state-cli-'));
  plan = join(dir, 'seed-002.yaml');
  await writeFile(plan, await readFile(`${ROOT}fixtures/plans/seed-002-dhash-guarded.yaml`, 'utf8'));
  await writeFile(join(dir, 'nodes.json'), '[]');
  flags.push(join(dir, 'nodes.json'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function setValid(): Promise<Record<string, any>> {
  const r = await flightdeck(['state', 'set', plan, '--stage', 'post-deploy', '--reason', 'deployed at 13:10 by the pipeline', '--entered-at', '2026-03-01T13:10:00Z']);
  expect(r.code).toBe(0);
  return JSON.parse(await readFile(statePath(), 'utf8'));
}

describe('an unusable rollout state through the CLI', () => {
  const cases: Array<[string, (s: Record<string, any>) => string, RegExp]> = [
    ['truncated', (s) => JSON.stringify(s).slice(0, 60), /not JSON .*truncated or edited by hand\?/],
    ['unknown stage', (s) => JSON.stringify({ ...s, stageId: 'canary-50' }), /names stage "canary-50", which the plan no longer has/],
    ["another plan's", (s) => JSON.stringify({ ...s, plan: { ...s.plan, service: 'mes-dashboard' } }), /belongs to mes-dashboard \(production\), not to this plan's dhash/],
  ];
  for (const [what, corrupt, problem] of cases) {
    it(`${what}: promote and rollback exit 2 with the file, the problem and the fix; nothing runs or is audited as done`, async () => {
      const s = await setValid();
      await writeFile(statePath(), corrupt(s));
      const before = (await audit()).length;
      for (const kind of ['promote', 'rollback']) {
        const r = await flightdeck([kind, plan, '--yes', '--reason', 'try', ...flags]);
        expect(r.code, r.stdout + r.stderr).toBe(2);
        expect(r.stdout).toContain(`flightdeck ${kind}: refused: rollout state ${statePath()}: `);
        expect(r.stdout).toMatch(problem);
        expect(r.stdout).toContain(`flightdeck state set ${plan} --stage <pre-deploy|post-deploy>`);
      }
      const added = (await audit()).slice(before);
      expect(added.map((l) => [l.action, l.result])).toEqual([
        ['promote', 'refused'],
        ['rollback', 'refused'],
      ]);
      if (what !== 'truncated') return; // state show and check read the state the same way for every problem
      const show = await flightdeck(['state', 'show', plan]);
      expect(show.code).toBe(2);
      expect(show.stdout).toMatch(problem);
      const check = await flightdeck(['check', plan, '--json', ...flags]);
      expect(check.code).toBe(2);
      const json = JSON.parse(check.stdout);
      expect(json.rolloutState).toMatchObject({ status: 'broken', location: statePath(), fix: expect.stringContaining('flightdeck state set') });
      expect(json.reasons[0]).toMatch(problem);
    }, 120_000);
  }

  it('state set repairs it (audited) and state show then prints where the rollout stands', async () => {
    await writeFile(statePath(), '{"version": 2, "stageId": "post-');
    const r = await flightdeck(['state', 'set', plan, '--stage', 'post-deploy', '--reason', 'state file truncated by a full disk', '--entered-at', '2026-03-01T13:10:00Z']);
    expect(r.code, r.stdout).toBe(0);
    expect((await audit()).at(-1)).toMatchObject({ action: 'state-set', result: 'ok', stage: 'post-deploy', reason: 'state file truncated by a full disk', details: { replaced: { status: 'broken', kind: 'unreadable' } } });
    const show = await flightdeck(['state', 'show', plan]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/dhash \(production\): stage 2\/2 post-deploy\n {2}entered 2026-03-01T13:10:00.000Z/);
    const verify = await flightdeck(['audit', 'verify', auditFile()]);
    expect(verify.code).toBe(0);
    const bad = await flightdeck(['state', 'set', plan, '--stage', 'nope', '--reason', 'a typo in the stage id']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toMatch(/no stage "nope"/);
  }, 120_000);
});

describe('a restarted watch continues where the rollout is', () => {
  it('--json says so first: minute 50 of 60, phase 2/2 every 2m', async () => {
    const entered = Date.now() - 50 * 60_000 - 5_000;
    const set = await flightdeck(['state', 'set', plan, '--stage', 'post-deploy', '--reason', 'deployed 50 minutes ago', '--entered-at', String(entered)]);
    expect(set.code, set.stdout).toBe(0);
    const child = execa(`${ROOT}bin/flightdeck`, ['watch', plan, '--no-guard', '--json', '--readonly', ...flags], { reject: false, env: { NO_COLOR: '1' }, cwd: ROOT, stdin: 'ignore' });
    const events: Array<Record<string, any>> = [];
    let buf = '';
    const seen = new Promise<void>((resolve) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        buf += chunk.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim()) events.push(JSON.parse(line));
          if (events.some((e) => e.type === 'poll.done')) resolve();
        }
      });
    });
    const timer = setTimeout(() => child.kill('SIGINT'), 90_000);
    await Promise.race([seen, child]);
    child.kill('SIGINT');
    await child;
    clearTimeout(timer);
    const resumed = events.find((e) => e.type === 'window.resumed');
    expect(resumed).toMatchObject({ stageId: 'post-deploy', stageEnteredAt: entered, windowStart: entered, windowEnd: entered + 60 * 60_000, phase: 2, phases: 2, everyMs: 120_000 });
    expect(resumed!.elapsedMs).toBeGreaterThanOrEqual(50 * 60_000);
    expect(events.findIndex((e) => e.type === 'window.resumed')).toBeLessThan(events.findIndex((e) => e.type === 'poll.started'));
  }, 120_000);
});
