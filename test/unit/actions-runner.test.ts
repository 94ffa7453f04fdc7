import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAction, stepsForAudit, type ActionContext, type OutputLine } from '../../src/actions/runner.js';
import { actionSchema } from '../../src/plan/schema.js';
import { actionContext, FAIL as fail, FIX, HANG as hang, MARKER as marker, proc, readOrder } from '../helpers/act.js';
import { pidIn } from '../helpers/process-table.js';

const slow = join(FIX, 'slow.sh');
const dry = join(FIX, 'dry.sh');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-actions-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ctx = (over: Partial<ActionContext> = {}): ActionContext => actionContext(dir, { reason: 'p95 over 2s', ...over });
const order = (): Promise<string[]> => readOrder(dir);

describe('runAction: commands', () => {
  it('runs the steps in order with the FLIGHTDECK_* environment and the reason', async () => {
    const spec = actionSchema.parse({
      steps: [
        { name: 'mode to warn', run: [marker, 'one', '--mode', 'warn'], env: { STEP_EXTRA: 'x1' } },
        { name: 'mode off', run: [marker, 'two'] },
        { name: 'previous tag', run: [marker, 'three'] },
      ],
    });
    const lines: OutputLine[] = [];
    const r = await runAction(spec, ctx({ targetStageId: 'stable', env: { ...ctx().env, PLAN_VAR: 'from-plan' }, onOutput: (l) => lines.push(l) }));
    expect(r.ok).toBe(true);
    expect(r.steps.map((s) => s.status)).toEqual(['ok', 'ok', 'ok']);
    expect(await order()).toEqual(['one', 'two', 'three']);
    const one = await readFile(join(dir, 'one'), 'utf8');
    expect(one).toContain('args: one --mode warn');
    expect(one).toContain(`cwd: ${dir}`);
    expect(one).toContain('FLIGHTDECK_ACTION=rollback');
    expect(one).toContain('FLIGHTDECK_STAGE=canary-10');
    expect(one).toContain('FLIGHTDECK_TARGET_STAGE=stable');
    expect(one).toContain('FLIGHTDECK_OPERATOR=alice');
    expect(one).toContain('FLIGHTDECK_REASON=p95 over 2s');
    expect(one).toContain('FLIGHTDECK_STEP=mode to warn');
    expect(one).toContain('PLAN_VAR=from-plan');
    expect(one).toContain('STEP_EXTRA=x1');
    expect(one).not.toContain('FLIGHTDECK_DRY_RUN');
    expect(await readFile(join(dir, 'two'), 'utf8')).not.toContain('STEP_EXTRA');
    // streamed, per step and stream
    expect(lines).toContainEqual({ step: 'mode off', stream: 'stdout', text: 'marker two written' });
    expect(lines).toContainEqual({ step: 'mode off', stream: 'stderr', text: 'stderr line from two' });
    expect(r.steps[1]!.tail).toContain('marker two written');
    expect(r.steps[0]!.argv).toEqual([marker, 'one', '--mode', 'warn']);
    expect(r.summary).toMatch(/^rollback ok: 3 steps run/);
  });

  it('a single command action resolves ./ paths and cwd against the plan directory', async () => {
    const planDir = resolve(FIX, '..');
    const spec = actionSchema.parse({ run: ['./actions/marker.sh', 'single', '--env', 'production'], timeout: '10s' });
    const r = await runAction(spec, ctx({ planDir, kind: 'promote' }));
    expect(r.ok).toBe(true);
    expect(r.steps).toHaveLength(1);
    expect(r.steps[0]!.name).toBe('promote');
    const m = await readFile(join(dir, 'single'), 'utf8');
    expect(m).toContain('args: single --env production');
    expect(m).toContain(`cwd: ${planDir}`);
    expect(m).toContain('FLIGHTDECK_ACTION=promote');
  });

  it('a failed step stops the playbook; the rest are reported as not run', async () => {
    const spec = actionSchema.parse({
      steps: [
        { name: 'first', run: [marker, 'first'] },
        { name: 'breaks', run: [fail] },
        { name: 'after', run: [marker, 'after'] },
      ],
    });
    const r = await runAction(spec, ctx());
    expect(r.ok).toBe(false);
    expect(r.stoppedAt).toBe('breaks');
    expect(r.steps.map((s) => s.status)).toEqual(['ok', 'failed', 'skipped']);
    expect(r.steps[1]!.exitCode).toBe(3);
    expect(r.steps[1]!.note).toBe('exit 3');
    expect(r.steps[1]!.tail).toEqual(expect.arrayContaining(['about to fail', 'something went wrong']));
    expect(r.steps[2]!.note).toContain("'breaks' failed");
    expect(existsSync(join(dir, 'after'))).toBe(false);
    expect(await order()).toEqual(['first', 'fail']);
    expect(r.summary).toContain("failed at step 'breaks': exit 3");
  });

  it('continueOnFailure goes on to the next step, and the action ends partial, naming the failed step', async () => {
    const spec = actionSchema.parse({
      steps: [
        { name: 'breaks', run: [fail], continueOnFailure: true },
        { name: 'after', run: [marker, 'after'] },
      ],
    });
    const r = await runAction(spec, ctx());
    expect(r.steps.map((s) => s.status)).toEqual(['failed', 'ok']);
    expect(r.ok).toBe(false);
    expect(r.outcome).toBe('partial');
    expect(r.failedSteps).toEqual(['breaks']);
    expect(r.summary).toMatch(/^rollback partial: 2 steps run; 1 failed and continued past \(continueOnFailure\): 'breaks' \(exit 3\)/);
    expect(await order()).toEqual(['fail', 'after']);
  });

  it('a command that cannot start fails with a clear note', async () => {
    const spec = actionSchema.parse({ steps: [{ name: 'missing', run: ['./scripts/nope.sh'] }] });
    const r = await runAction(spec, ctx());
    expect(r.ok).toBe(false);
    expect(r.steps[0]!.status).toBe('failed');
    expect(r.steps[0]!.note).toMatch(/cannot start \.\/scripts\/nope\.sh: ENOENT/);
  });

  it('a missing working directory fails the step without running it', async () => {
    const spec = actionSchema.parse({ steps: [{ name: 'elsewhere', run: [marker, 'x'], cwd: 'no/such/dir' }] });
    const r = await runAction(spec, ctx());
    expect(r.steps[0]!.status).toBe('failed');
    expect(r.steps[0]!.note).toMatch(/working directory .*no\/such\/dir does not exist/);
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });

  it('optional steps run only when asked for', async () => {
    const spec = actionSchema.parse({
      steps: [
        { name: 'always', run: [marker, 'always'] },
        { name: 'restore snapshot', run: [marker, 'restore'], optional: true },
      ],
    });
    const without = await runAction(spec, ctx());
    expect(without.steps[1]).toMatchObject({ status: 'skipped', note: 'optional step, not requested' });
    expect(await order()).toEqual(['always']);
    const withIt = await runAction(spec, ctx({ includeOptional: ['restore snapshot'] }));
    expect(withIt.steps[1]!.status).toBe('ok');
    expect(await order()).toEqual(['always', 'always', 'restore']);
  });

  it('streams output line by line as it is printed, and appends it to the log file', async () => {
    const spec = actionSchema.parse({ steps: [{ name: 'slow', run: [slow, '4', '0.1'] }] });
    const seen: Array<{ text: string; at: number }> = [];
    const logFile = join(dir, 'logs', 'actions.log');
    const r = await runAction(spec, ctx({ logFile, onOutput: (l) => l.step === 'slow' && l.stream !== 'flightdeck' && seen.push({ text: l.text, at: Date.now() }) }));
    expect(r.ok).toBe(true);
    expect(seen.map((s) => s.text)).toEqual(['line 1', 'line 2', 'line 3', 'line 4', 'done']);
    // line 1 arrived well before the last one: streamed, not collected at exit
    expect(seen[3]!.at - seen[0]!.at).toBeGreaterThanOrEqual(200);
    const log = await readFile(logFile, 'utf8');
    expect(log).toMatch(/\[slow\] out line 1\n/);
    expect(log).toMatch(/\[slow\] err done\n/);
    expect(log).toContain('rollback of stage canary-10 by alice: p95 over 2s');
  });

  it('keeps only the last 50 lines in the result', async () => {
    const spec = actionSchema.parse({ steps: [{ name: 'chatty', run: [slow, '70', '0'] }] });
    const r = await runAction(spec, ctx());
    const tail = r.steps[0]!.tail;
    expect(tail).toHaveLength(50);
    expect(tail[tail.length - 1]).toBe('done');
    expect(tail).toContain('line 70');
    expect(tail).not.toContain('line 1');
  });

  it('masks known secrets in argv, output and log', async () => {
    const secret = 'hunter2-s3cr3t-value';
    const spec = actionSchema.parse({ steps: [{ name: 'leaky', run: [marker, 'leaky', `--token=${secret}`] }] });
    const logFile = join(dir, 'a.log');
    const lines: string[] = [];
    const r = await runAction(spec, ctx({ secrets: [secret], logFile, onOutput: (l) => lines.push(l.text) }));
    expect(r.ok).toBe(true);
    expect(await readFile(join(dir, 'leaky'), 'utf8')).toContain(secret); // the script did get it
    expect(JSON.stringify(r)).not.toContain(secret);
    expect(lines.join('\n')).not.toContain(secret);
    expect(await readFile(logFile, 'utf8')).not.toContain(secret);
    expect(r.steps[0]!.argv).toEqual([marker, 'leaky', '--token=[REDACTED]']);
  });

  it('stepsForAudit keeps status and exit codes, no output', async () => {
    const spec = actionSchema.parse({ steps: [{ name: 'breaks', run: [fail] }] });
    const r = await runAction(spec, ctx());
    expect(stepsForAudit(r)).toEqual([{ name: 'breaks', status: 'failed', exitCode: 3, signal: null, durationMs: r.steps[0]!.durationMs, note: 'exit 3' }]);
  });
});

describe('runAction: timeouts and aborts kill the whole process group', () => {
  it('a hanging step and its hanging child are killed at the timeout', async () => {
    const spec = actionSchema.parse({
      steps: [
        { name: 'hangs', run: [hang], timeout: '500ms' },
        { name: 'after', run: [marker, 'after'] },
      ],
    });
    const t0 = Date.now();
    const r = await runAction(spec, ctx());
    expect(Date.now() - t0).toBeLessThan(2_500);
    expect(r.steps[0]!.status).toBe('timed out');
    expect(r.steps[0]!.signal).toBe('SIGTERM');
    expect(r.steps[1]!.status).toBe('skipped');
    expect(r.ok).toBe(false);
    const parent = await pidIn(join(dir, 'parent.pid'));
    const child = await pidIn(join(dir, 'child.pid'));
    expect(parent).toBeGreaterThan(1);
    expect(child).toBeGreaterThan(1);
    expect(proc(parent)).toBeUndefined();
    expect(proc(child)).toBeUndefined();
  });

  it('escalates to SIGKILL when the group ignores SIGTERM', async () => {
    const spec = actionSchema.parse({ steps: [{ name: 'stubborn', run: [hang, '--ignore-term'], timeout: '400ms' }] });
    const lines: string[] = [];
    const r = await runAction(spec, ctx({ killGraceMs: 300, onOutput: (l) => lines.push(l.text) }));
    expect(r.steps[0]!.status).toBe('timed out');
    expect(r.steps[0]!.signal).toBe('SIGKILL');
    expect(lines.some((l) => l.includes('sending SIGKILL'))).toBe(true);
    const parent = await pidIn(join(dir, 'parent.pid'));
    const child = await pidIn(join(dir, 'child.pid'));
    expect(proc(parent)).toBeUndefined();
    expect(proc(child)).toBeUndefined();
  });

  it('aborting through the signal kills the running step and skips the rest', async () => {
    const spec = actionSchema.parse({
      steps: [
        { name: 'hangs', run: [hang], timeout: '30s' },
        { name: 'after', run: [marker, 'after'] },
      ],
    });
    const ac = new AbortController();
    const r = runAction(spec, ctx({ signal: ac.signal, onOutput: (l) => l.text.startsWith('hanging') && ac.abort() }));
    const res = await r;
    expect(res.aborted).toBe(true);
    expect(res.ok).toBe(false);
    expect(res.steps.map((s) => s.status)).toEqual(['aborted', 'skipped']);
    expect(res.summary).toContain("aborted during step 'hangs'");
    const parent = await pidIn(join(dir, 'parent.pid'));
    const child = await pidIn(join(dir, 'child.pid'));
    expect(proc(parent)).toBeUndefined();
    expect(proc(child)).toBeUndefined();
    expect(existsSync(join(dir, 'after'))).toBe(false);
  });
});

describe('runAction: dry run', () => {
  it('appends the declared dry-run arguments and skips steps without them', async () => {
    const spec = actionSchema.parse({
      steps: [
        { name: 'deploy', run: [dry, '--env', 'production'], dryRun: ['--dry-run'] },
        { name: 'no flag declared', run: [marker, 'undeclared'] },
        { name: 'never in dry run', run: [marker, 'never'], dryRun: false },
        { name: 'toggle', http: { url: 'http://user:pw@127.0.0.1:9/toggle?token=abcdefgh', headers: { 'X-Key': { env: 'NOT_NEEDED' } }, body: { enabled: false } } },
      ],
    });
    const r = await runAction(spec, ctx({ dryRun: true }));
    expect(r.steps[3]!.http).toEqual({ method: 'POST', url: 'http://127.0.0.1:9/toggle?token=[REDACTED]', headers: ['X-Key'] });
    expect(r.ok).toBe(true);
    expect(r.dryRun).toBe(true);
    expect(r.steps.map((s) => s.status)).toEqual(['ok', 'skipped', 'skipped', 'skipped']);
    expect(r.steps[0]!.argv).toEqual([dry, '--env', 'production', '--dry-run']);
    expect(r.steps[0]!.tail).toContain('mode=dry dry_env=1');
    expect(r.steps[2]!.note).toBe('skipped (dry run)');
    expect(r.steps[3]!.note).toBe('skipped (dry run)');
    expect(await readFile(join(dir, 'dry'), 'utf8')).toBe('dry --env production --dry-run\n');
    expect(existsSync(join(dir, 'order'))).toBe(false);
    expect(r.summary).toMatch(/^rollback \(dry run\) ok: 1 step run, 3 skipped/);
  });

  it('a single command action with a dryRun flag gets it appended', async () => {
    const spec = actionSchema.parse({ run: [dry, '--env', 'production'], dryRun: ['--dry-run'] });
    const r = await runAction(spec, ctx({ dryRun: true }));
    expect(r.steps[0]!.status).toBe('ok');
    expect(await readFile(join(dir, 'dry'), 'utf8')).toBe('dry --env production --dry-run\n');
    const real = await runAction(spec, ctx({ dryRun: false }));
    expect(real.steps[0]!.argv).toEqual([dry, '--env', 'production']);
    expect(await readFile(join(dir, 'dry'), 'utf8')).toBe('dry --env production --dry-run\nreal --env production\n');
  });
});

describe('runAction: preconditions', () => {
  async function backup(content: string, recorded?: string): Promise<void> {
    await mkdir(join(dir, 'backups'), { recursive: true });
    await writeFile(join(dir, 'backups', 'dhash.tar.gz'), content);
    const sum = recorded ?? createHash('sha256').update(content).digest('hex');
    await writeFile(join(dir, 'backups', 'dhash.tar.gz.sha256'), `${sum}  dhash.tar.gz\n`);
  }
  const playbook = (sha256: string) =>
    actionSchema.parse({
      steps: [
        { name: 'verify', run: [marker, 'pre'] },
        { name: 'restore', run: [marker, 'restore'], precondition: { sha256 } },
        { name: 'validate', run: [marker, 'validate'] },
      ],
    });

  it('a matching SHA-256 lets the step run', async () => {
    await backup('backup bytes');
    const r = await runAction(playbook('backups/dhash.tar.gz'), ctx());
    expect(r.ok).toBe(true);
    expect(r.steps[1]!.precondition).toMatchObject({ kind: 'sha256', ok: true });
    expect(await order()).toEqual(['pre', 'restore', 'validate']);
  });

  it('a mismatched SHA-256 stops the playbook before that step', async () => {
    await backup('backup bytes', 'a'.repeat(64));
    const r = await runAction(playbook('backups/dhash.tar.gz'), ctx());
    expect(r.ok).toBe(false);
    expect(r.steps.map((s) => s.status)).toEqual(['ok', 'precondition failed', 'skipped']);
    expect(r.steps[1]!.note).toMatch(/precondition failed: backups\/dhash\.tar\.gz does not match its checksum/);
    expect(r.stoppedAt).toBe('restore');
    expect(existsSync(join(dir, 'restore'))).toBe(false);
    expect(existsSync(join(dir, 'validate'))).toBe(false);
  });

  it('expands ${VAR} in the path and reports a missing checksum file', async () => {
    await backup('other bytes');
    const ok = await runAction(playbook('${BACKUP_FILE}'), ctx({ env: { ...ctx().env, BACKUP_FILE: 'backups/dhash.tar.gz' } }));
    expect(ok.steps[1]!.status).toBe('ok');
    await rm(join(dir, 'backups', 'dhash.tar.gz.sha256'));
    const missing = await runAction(playbook('${BACKUP_FILE}'), ctx({ env: { ...ctx().env, BACKUP_FILE: 'backups/dhash.tar.gz' } }));
    expect(missing.steps[1]!.note).toMatch(/cannot read backups\/dhash\.tar\.gz\.sha256 \(ENOENT\)/);
    const unset = await runAction(playbook('${BACKUP_FILE}'), ctx());
    expect(unset.steps[1]!.note).toContain('environment variable BACKUP_FILE is not set');
  });

  it('gate and run preconditions', async () => {
    const spec = actionSchema.parse({
      steps: [
        { name: 'gated', run: [marker, 'gated'], precondition: { gate: 'health' }, continueOnFailure: true },
        { name: 'checked', run: [marker, 'checked'], precondition: { run: ['test', '-f', 'ready'] }, continueOnFailure: true },
      ],
    });
    const blocked = await runAction(spec, ctx({ gateOk: (id) => id !== 'health' }));
    expect(blocked.steps.map((s) => s.status)).toEqual(['precondition failed', 'precondition failed']);
    expect(blocked.steps[0]!.note).toContain('gate health is not ok');
    expect(blocked.steps[1]!.note).toContain('test -f ready: exit 1');
    expect(existsSync(join(dir, 'order'))).toBe(false);
    await writeFile(join(dir, 'ready'), '');
    const passes = await runAction(spec, ctx({ gateOk: () => true }));
    expect(passes.steps.map((s) => s.status)).toEqual(['ok', 'ok']);
    expect(await order()).toEqual(['gated', 'checked']);
  });
});
