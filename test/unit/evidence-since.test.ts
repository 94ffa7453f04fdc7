/**
 * Evidence written recently: `since: stage` and `since: <duration>` read the
 * report's modification time from the file system (real files, mtimes set
 * with utimes), through the engine and through the built CLI.
 */
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { stat } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { Engine } from '../../src/engine/engine.js';
import type { PlanInput } from '../../src/plan/schema.js';
import { flightdeck } from '../helpers/cli.js';
import { loaded } from '../helpers/engine-fakes.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-evidence-since-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const MIN = 60_000;

async function report(name: string, failed: number, writtenAt: number): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, JSON.stringify({ checked: 10, failed }));
  await utimes(file, writtenAt / 1000, writtenAt / 1000);
  return file;
}

function engineFor(file: string, since: string, o: { clock: ManualClock; stageEnteredAt: number; fileModifiedAt?: boolean }) {
  const input = { service: 'shop', stages: [{ id: 'full', gates: [{ id: 'smoke-report', evidence: { file, field: 'failed', since }, fail: '> 0', onFail: 'block' }], rollback: { run: ['./rb.sh'] } }] } as PlanInput;
  return new Engine({
    loaded: loaded(input),
    clock: o.clock,
    prometheus: null,
    nodes: null,
    stageEnteredAt: o.stageEnteredAt,
    readFile: (p) => readFile(p, 'utf8'),
    ...(o.fileModifiedAt === false ? {} : { fileModifiedAt: async (p: string) => (await stat(p)).mtimeMs }),
    runCommand: async () => ({ exitCode: 0, timedOut: false, durationMs: 0, tail: '' }),
  });
}

describe('evidence since', () => {
  it('since: stage: a report left by an earlier stage is no data (never ok); the stage’s own report counts', async () => {
    const clock = new ManualClock(Date.now());
    const entered = clock.now() - 10 * MIN;
    const file = await report('smoke-stage.json', 0, entered - 5 * MIN);
    const engine = engineFor(file, 'stage', { clock, stageEnteredAt: entered });
    await engine.poll();
    const g = engine.getState().gates[0]!;
    expect(g.state).toBe('no data');
    expect(g.why).toContain('was written 15m ago, before this stage began 10m ago: it says nothing about this stage');
    await report('smoke-stage.json', 0, entered + MIN);
    await engine.poll();
    expect(engine.getState().gates[0]!.state).toBe('ok');
    await report('smoke-stage.json', 2, entered + 2 * MIN);
    await engine.poll();
    expect(engine.getState().gates[0]!.state).toBe('failing');
  });

  it('since: 30m: older is no data; where the time a file was written cannot be read, no data too', async () => {
    const clock = new ManualClock(Date.now());
    const file = await report('smoke-30m.json', 0, clock.now() - 45 * MIN);
    const engine = engineFor(file, '30m', { clock, stageEnteredAt: clock.now() - 120 * MIN });
    await engine.poll();
    expect(engine.getState().gates[0]!).toMatchObject({ state: 'no data' });
    expect(engine.getState().gates[0]!.why).toContain('was written 45m ago, longer ago than the 30m it may be');
    await report('smoke-30m.json', 0, clock.now() - 29 * MIN);
    await engine.poll();
    expect(engine.getState().gates[0]!.state).toBe('ok');
    const blind = engineFor(file, '30m', { clock, stageEnteredAt: clock.now(), fileModifiedAt: false });
    await blind.poll();
    expect(blind.getState().gates[0]!.state).toBe('no data');
  });

  it('a bad since is a plan error naming the field', async () => {
    const plan = join(dir, 'bad.yaml');
    await writeFile(plan, ['service: shop', 'stages:', '  - id: full', '    gates:', '      - id: r', '        evidence: { file: r.json, field: failed, since: yesterday }', '    rollback: { run: ["true"] }', ''].join('\n'));
    const r = await flightdeck(['validate', plan], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/bad\.yaml:6:\d+ stages\[0\]\.gates\[0\]\.evidence\.since: expected "stage" \(written since the stage began\) or a duration/);
  });

  it('flightdeck check reads the real modification time', async () => {
    const plan = join(dir, 'plan.yaml');
    await writeFile(plan, ['service: shop', 'stages:', '  - id: full', '    gates:', '      - id: smoke-report', '        evidence: { file: cli.json, field: failed, since: 30m }', '        fail: "> 0"', '    rollback: { run: ["true"] }', ''].join('\n'));
    await report('cli.json', 0, Date.now() - 2 * 60 * MIN);
    const old = await flightdeck(['check', plan, '--json'], { cwd: dir });
    const gate = (out: string) => (JSON.parse(out) as { gates: Array<{ id: string; state: string; why: string }> }).gates[0]!;
    expect(gate(old.stdout)).toMatchObject({ state: 'no data' });
    // 2h, and the seconds the CLI took to start on a busy machine.
    expect(gate(old.stdout).why).toMatch(/cli\.json was written 2h(\d+s)? ago, longer ago than the 30m it may be/);
    expect(old.code).toBe(1);
    await report('cli.json', 0, Date.now() - MIN);
    const fresh = await flightdeck(['check', plan, '--json'], { cwd: dir });
    expect(gate(fresh.stdout).state).toBe('ok');
    expect(fresh.code).toBe(0);
  });
});
