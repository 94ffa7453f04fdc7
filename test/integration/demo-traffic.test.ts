/**
 * The demo's canary traffic and its smoke gate, run for real: the fleet's
 * control server, `fixtures/demo/scripts/smoke.mjs` and `shift-traffic.mjs`
 * as the demo plan's gates and actions run them (node, the control URL in
 * the environment, the working directory for the report), the demo's own
 * split of the first stage's traffic (in process: running the script would
 * hold the first frame ~0.8 s), and the demo itself, headless.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { ManualClock } from '../../src/clock.js';
import type { EngineEvent } from '../../src/engine/types.js';
import { FIRST_STAGE_PERCENT, splitTraffic, v2Count } from '../../src/demo/traffic.js';
import { startFleet, type Fleet } from '../../src/simulator/index.js';
import { BIN } from '../helpers/cli.js';
import { processesIn } from '../helpers/process-table.js';

const SCRIPTS = join(import.meta.dirname, '../../fixtures/demo/scripts');
const run = promisify(execFile);

const fleets: Fleet[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(fleets.splice(0).map((f) => f.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'fd-demo-traffic-'));
  dirs.push(d);
  return d;
}

async function demoFleet(): Promise<Fleet> {
  const f = await startFleet({ nodes: 6, service: 'checkout', clock: new ManualClock(0), seed: 42, control: true, profile: { version: 'v1' } });
  fleets.push(f);
  return f;
}

/** Runs a demo script against the fleet; its exit code, stdout and (for smoke) the report it wrote. */
async function script(fleet: Fleet, name: string, ...args: string[]): Promise<{ code: number; stdout: string; report?: { checked: number; passed: number; failed: number; failures: string[] } }> {
  const cwd = await tempDir();
  const env = { ...process.env, FLIGHTDECK_DEMO_CONTROL: fleet.controlUrl! };
  const r = await run(process.execPath, [join(SCRIPTS, name), ...args], { cwd, env, timeout: 20_000 }).then(
    (ok) => ({ code: 0, stdout: ok.stdout }),
    (err: { code?: number; stdout?: string }) => ({ code: err.code ?? -1, stdout: err.stdout ?? '' }),
  );
  const report = name === 'smoke.mjs' ? JSON.parse(await readFile(join(cwd, 'monitor_logs/smoke-report.json'), 'utf8')) : undefined;
  return { ...r, report };
}

const versions = (f: Fleet) => f.nodes.map((_, i) => `${f.faultOf(i).version}@${f.faultOf(i).trafficPercent}`);

describe('the demo canary', () => {
  it('a smoke test of a version no node runs fails: nothing checked is not a pass', async () => {
    const fleet = await demoFleet();
    const r = await script(fleet, 'smoke.mjs');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^smoke v2: 0\/0 nodes healthy; failing: no node runs v2$/m);
    expect(r.report).toMatchObject({ checked: 0, passed: 0, failed: 1 });
  });

  it("the demo's first stage starts with its share on v2, and the smoke test checks those nodes", async () => {
    const fleet = await demoFleet();
    await splitTraffic(fleet, FIRST_STAGE_PERCENT);
    expect(versions(fleet)).toEqual(['v2@10', 'v1@90', 'v1@90', 'v1@90', 'v1@90', 'v1@90']);
    const v2 = await script(fleet, 'smoke.mjs');
    expect(v2.code).toBe(0);
    expect(v2.stdout).toMatch(/^smoke v2: 1\/1 nodes healthy$/m);
    const v1 = await script(fleet, 'smoke.mjs', '--expect', 'v1');
    expect(v1.code).toBe(0);
    expect(v1.stdout).toMatch(/^smoke v1: 5\/5 nodes healthy$/m);
  });

  it("splits the traffic as the plan's shift-traffic.mjs does, at every stage of the demo plan", async () => {
    for (const pct of [FIRST_STAGE_PERCENT, 50, 100, 0]) {
      const byScript = await demoFleet();
      const r = await script(byScript, 'shift-traffic.mjs', '--to', String(pct));
      expect(r.code).toBe(0);
      const byDemo = await demoFleet();
      await splitTraffic(byDemo, pct);
      expect(versions(byDemo)).toEqual(versions(byScript));
      expect(versions(byDemo).filter((v) => v.startsWith('v2')).length).toBe(v2Count(6, pct));
    }
  });

  it("the demo starts in canary-10 with that stage's share on v2: its smoke gate checks one node, not none", async () => {
    const dir = await tempDir();
    const demo = execa(BIN, ['demo', '--json', '--speed', '120', '--no-autopilot', '--dir', dir], { reject: false, env: { NO_COLOR: '1' }, stdin: 'ignore', timeout: 60_000 });
    let smoke: Extract<EngineEvent, { type: 'gate.changed' }> | undefined;
    for await (const l of createInterface({ input: demo.stdout! })) {
      const e = JSON.parse(l) as EngineEvent;
      if (e.type === 'gate.changed' && e.gateId === 'smoke' && e.to !== 'no data') {
        smoke = e;
        break;
      }
    }
    demo.kill('SIGINT');
    const done = await demo;
    expect(smoke).toMatchObject({ stageId: 'canary-10', to: 'ok', why: expect.stringMatching(/smoke v2: 1\/1 nodes healthy/) });
    expect(done.exitCode).toBe(0);
    expect(processesIn(dir)).toEqual([]);
  });

  it("at full-100 the smoke report canary-50 left is not evidence: no data until that stage's own smoke test writes one (on the demo's sped-up clock)", async () => {
    const dir = await tempDir();
    const demo = execa(BIN, ['demo', '--json', '--speed', '120', '--dir', dir], { reject: false, env: { NO_COLOR: '1' }, stdin: 'ignore', timeout: 120_000 });
    const report: Array<Extract<EngineEvent, { type: 'gate.changed' }>> = [];
    for await (const l of createInterface({ input: demo.stdout! })) {
      const e = JSON.parse(l) as EngineEvent;
      if (e.type === 'gate.changed' && e.gateId === 'smoke-report') report.push(e);
      if (report.some((r) => r.to === 'ok')) break;
    }
    demo.kill('SIGINT');
    await demo;
    expect(report[0]).toMatchObject({ stageId: 'full-100', to: 'no data', why: expect.stringMatching(/smoke-report\.json was written \S+ ago, before this stage began \S+ ago/) });
    expect(report.at(-1)).toMatchObject({ stageId: 'full-100', to: 'ok' });
    const final = JSON.parse(await readFile(join(dir, 'monitor_logs/smoke-report.json'), 'utf8'));
    expect(final).toMatchObject({ version: 'v2', checked: 6, failed: 0 });
    expect(processesIn(dir)).toEqual([]);
  }, 150_000);
});
