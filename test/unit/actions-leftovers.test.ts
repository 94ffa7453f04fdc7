/**
 * A step ends when its main process exits: a script that forks a background
 * child and exits 0 is `ok` at once (never a false `timed out`), and what it
 * left in its process group is reported, then killed (default) or left
 * running (`leftovers: leave`). Real scripts, the real process table.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAction, type ActionContext } from '../../src/actions/runner.js';
import { resolveInclude } from '../../src/actions/steps.js';
import { actionSchema } from '../../src/plan/schema.js';
import { actionContext, FORKS as forks, MARKER as marker, proc, readOrder } from '../helpers/act.js';
import { pidIn } from '../helpers/process-table.js';

let dir: string;
const strays: number[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-leftovers-'));
});
afterEach(async () => {
  for (const pid of strays.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await rm(dir, { recursive: true, force: true });
});

const ctx = (over: Partial<ActionContext> = {}): ActionContext => actionContext(dir, over);

describe('a step that forks a background child and exits 0', () => {
  it('is ok as soon as its main process exits; the child left in its group is reported and killed', async () => {
    const spec = actionSchema.parse({
      steps: [
        { name: 'restart daemon', run: [forks, '30'], timeout: '20s' },
        { name: 'after', run: [marker, 'after'] },
      ],
    });
    const lines: string[] = [];
    const spawned: number[] = [];
    const t0 = Date.now();
    const disowned: number[] = [];
    const r = await runAction(spec, ctx({ onOutput: (l) => lines.push(l.text), onSpawn: (pid) => spawned.push(pid), onDisown: (g) => void disowned.push(g) }));
    const took = Date.now() - t0;
    const bg = await pidIn(join(dir, 'bg.pid'));
    strays.push(bg);
    expect(r.outcome).toBe('ok');
    expect(r.steps.map((s) => s.status)).toEqual(['ok', 'ok']);
    expect(r.steps[0]!.exitCode).toBe(0);
    // Drain (1 s) + SIGTERM to the group, nowhere near the 20 s timeout.
    expect(took).toBeLessThan(5_000);
    expect(r.steps[0]!.leftovers).toEqual({ processes: [{ pid: bg, command: 'sleep 30' }], action: 'killed' });
    expect(r.steps[0]!.note).toBe(`exit 0; 1 process left behind (${bg} sleep 30) killed`);
    expect(lines.some((l) => l.includes(`1 process left behind in its process group: ${bg} sleep 30`))).toBe(true);
    expect(lines).toContain('restarted, background child ' + bg);
    expect(proc(bg)).toBeUndefined();
    expect(spawned).toHaveLength(2);
    expect(spawned[0]).toBeGreaterThan(1);
    expect(disowned).toEqual([]); // killed, not left: the group stays the step's until it is gone
  });

  it('with leftovers: leave, the child keeps running and the step says so', async () => {
    const spec = actionSchema.parse({ steps: [{ name: 'restart daemon', run: [forks, '30'], timeout: '20s', leftovers: 'leave' }] });
    const lines: string[] = [];
    const spawned: number[] = [];
    const disowned: number[] = [];
    const r = await runAction(spec, ctx({ onOutput: (l) => lines.push(l.text), onSpawn: (pid) => spawned.push(pid), onDisown: (g) => void disowned.push(g) }));
    const bg = await pidIn(join(dir, 'bg.pid'));
    strays.push(bg);
    expect(r.outcome).toBe('ok');
    expect(r.steps[0]!.status).toBe('ok');
    // The group is given up (a lock naming it stops holding on it) once the main process has exited.
    expect(disowned).toEqual(spawned);
    expect(r.steps[0]!.leftovers?.action).toBe('left running');
    expect(r.steps[0]!.note).toMatch(/1 process left behind \(\d+ sleep 30\) left running/);
    expect(lines.some((l) => /left running in its process group \(leftovers: leave\)/.test(l))).toBe(true);
    expect(proc(bg)).toBeDefined();
  });

  it('with leftovers: leave, the step ends only once the group is recorded as left running (a flightdeck killed right after leaves a lock that says so)', async () => {
    const spec = actionSchema.parse({
      steps: [
        { name: 'restart daemon', run: [forks, '30'], timeout: '20s', leftovers: 'leave' },
        { name: 'after', run: [marker, 'after'] },
      ],
    });
    let recordedAt: number | undefined;
    const record = () => new Promise<void>((done) => setTimeout(() => ((recordedAt = Date.now()), done()), 400));
    const spawnedAt: number[] = [];
    const r = await runAction(spec, ctx({ onDisown: record, onSpawn: () => void spawnedAt.push(Date.now()) }));
    strays.push(await pidIn(join(dir, 'bg.pid')));
    expect(r.outcome).toBe('ok');
    expect(recordedAt).toBeDefined();
    // The next step started after the record, not beside it.
    expect(spawnedAt).toHaveLength(2);
    expect(spawnedAt[1]).toBeGreaterThanOrEqual(recordedAt!);
  });

  it('a step whose main process really runs past its timeout is still timed out', async () => {
    const spec = actionSchema.parse({ steps: [{ name: 'slow', run: ['sleep', '5'], timeout: '300ms' }] });
    const r = await runAction(spec, ctx());
    expect(r.steps[0]!.status).toBe('timed out');
    expect(r.outcome).toBe('failed');
  });
});

describe('--include', () => {
  const spec = actionSchema.parse({
    steps: [
      { name: 'mode-warn', run: [marker, 'warn'] },
      { name: 'mode-off', run: [marker, 'off'], optional: true },
      { name: 'restore-snapshot', run: [marker, 'restore'], optional: true },
    ],
  });

  it('"all" runs every optional step (as the command line gives it: a list holding "all")', async () => {
    const r = await runAction(spec, ctx({ includeOptional: ['all'] }));
    expect(r.steps.map((s) => s.status)).toEqual(['ok', 'ok', 'ok']);
    expect(await readOrder(dir)).toEqual(['warn', 'off', 'restore']);
    expect(resolveInclude(spec, 'rollback', ['all'])).toEqual({ ok: true, include: 'all', notOptional: [] });
  });

  it('an unknown name is an error listing the step names; names match exactly', () => {
    expect(resolveInclude(spec, 'rollback', ['restore-snapshott'])).toEqual({ ok: false, unknown: ['restore-snapshott'], names: ['mode-warn', 'mode-off', 'restore-snapshot'] });
    expect(resolveInclude(spec, 'rollback', ['Restore-Snapshot'])).toMatchObject({ ok: false, unknown: ['Restore-Snapshot'] });
    expect(resolveInclude(spec, 'rollback', ['restore-snapshot'])).toEqual({ ok: true, include: ['restore-snapshot'], notOptional: [] });
    expect(resolveInclude(spec, 'rollback', ['mode-warn'])).toEqual({ ok: true, include: ['mode-warn'], notOptional: ['mode-warn'] });
  });
});
