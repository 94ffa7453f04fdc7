/**
 * `flightdeck promote|rollback|audit verify` as a script would use them: the
 * built binary, real fixture executables, marker files, the audit log.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MARKER, readAudit, readOrder, writeActPlan } from '../helpers/act.js';
import { flightdeck } from '../helpers/cli.js';

let dir: string;
let planFile: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-act-'));
  planFile = join(dir, 'plan.yaml');
  await writeFile(join(dir, 'slow.sh'), '#!/usr/bin/env bash\necho "$1" >> "$MARKER_DIR/order"\nsleep 2\n', { mode: 0o755 });
  await writeActPlan(planFile, {
    service: 'dhash',
    stages: [
      {
        id: 'canary-10',
        gates: [{ id: 'smoke', command: { run: ['bash', '-c', 'exit ${SMOKE_EXIT:-0}'] }, onFail: 'block' }],
        promote: { run: [MARKER, 'promote-canary'], dryRun: ['--dry-run'] },
        rollback: { steps: [{ name: 'mode-warn', run: [MARKER, 'rb-warn'] }, { name: 'mode-off', run: [MARKER, 'rb-off'], optional: true }, { name: 'slow', run: ['./slow.sh', 'rb-slow'] }] },
      },
      { id: 'full', promote: { run: [MARKER, 'promote-full'] }, rollback: { run: [MARKER, 'rb-full'] } },
    ],
  });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}) => ({ MARKER_DIR: dir, ...extra });
const order = () => readOrder(dir);
const audit = () => readAudit(dir);

describe('flightdeck promote', () => {
  it('refuses without --yes and runs nothing', async () => {
    const r = await flightdeck(['promote', planFile], { env: env() });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/without --yes/);
    expect(await order()).toEqual([]);
  });

  it('promotes the saved current stage, one stage per call', async () => {
    const a = await flightdeck(['promote', planFile, '--yes', '--reason', 'canary healthy'], { env: env() });
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/promote of canary-10: /);
    const b = await flightdeck(['promote', planFile, '--yes'], { env: env() });
    expect(b.code).toBe(0);
    expect(await order()).toEqual(['promote-canary', 'promote-full']);
    expect((await audit()).filter((l) => l.action === 'promote').map((l) => [l.stage, l.result])).toEqual([
      ['canary-10', 'started'],
      ['canary-10', 'ok'],
      ['full', 'started'],
      ['full', 'ok'],
    ]);
  });

  it('a blocked stage is refused; --override needs a reason; with one it runs and is audited', async () => {
    const blocked = await flightdeck(['promote', planFile, '--yes'], { env: env({ SMOKE_EXIT: '1' }) });
    expect(blocked.code).toBe(3);
    expect(blocked.stdout).toMatch(/refused: canary-10 is not promotable \(smoke failing 1 \(threshold != 0, failing for \d+(ms|s)\)\)/);
    const noReason = await flightdeck(['promote', planFile, '--yes', '--override'], { env: env({ SMOKE_EXIT: '1' }) });
    expect(noReason.code).toBe(3);
    expect(noReason.stdout).toMatch(/--override needs --reason/);
    expect(await order()).toEqual([]);
    const ok = await flightdeck(['promote', planFile, '--yes', '--override', '--reason', 'flaky smoke test, verified by hand'], { env: env({ SMOKE_EXIT: '1' }) });
    expect(ok.code).toBe(0);
    expect(await order()).toEqual(['promote-canary']);
    expect((await audit()).find((l) => l.action === 'override')).toMatchObject({
      override: { manual_override: true, override_acknowledged: true, override_reason: 'flaky smoke test, verified by hand' },
    });
  });

  it('--dry-run passes the script its dry-run flag and moves no stage', async () => {
    const r = await flightdeck(['promote', planFile, '--dry-run'], { env: env() });
    expect(r.code).toBe(0);
    expect(await readFile(join(dir, 'promote-canary'), 'utf8')).toMatch(/args: promote-canary --dry-run/);
    const again = await flightdeck(['promote', planFile, '--dry-run'], { env: env() });
    expect(again.stdout).toMatch(/promote of canary-10/);
  });
});

describe('flightdeck rollback', () => {
  it('runs the playbook in order, optional steps only when asked', async () => {
    const r = await flightdeck(['rollback', planFile, '--yes', '--reason', 'error budget burn'], { env: env() });
    expect(r.code).toBe(0);
    expect(await order()).toEqual(['rb-warn', 'rb-slow']);
    expect(r.stdout).toMatch(/skipped\s+mode-off/);
    const again = await flightdeck(['rollback', planFile, '--yes', '--include', 'mode-off'], { env: env() });
    expect(again.code).toBe(0);
    expect(await order()).toEqual(['rb-warn', 'rb-slow', 'rb-warn', 'rb-off', 'rb-slow']);
  });

  it('two operators at once: exactly one rollback runs, the other is told who holds the lock', async () => {
    const [a, b] = await Promise.all([
      flightdeck(['rollback', planFile, '--yes'], { env: env() }),
      new Promise((r) => setTimeout(r, 700)).then(() => flightdeck(['rollback', planFile, '--yes'], { env: env() })),
    ]);
    const codes = [a.code, b.code].sort();
    expect(codes).toEqual([0, 3]);
    const loser = a.code === 3 ? a : b;
    expect(loser.stdout).toMatch(/refused: rollback by \S+@\S+ running for \d+ s/);
    expect((await order()).filter((x) => x === 'rb-slow')).toHaveLength(1);
  });
});

describe('flightdeck audit verify', () => {
  it('passes on an untouched log and names the first changed line', async () => {
    await flightdeck(['rollback', planFile, '--yes', '--reason', 'first'], { env: env() });
    await flightdeck(['promote', planFile, '--yes', '--reason', 'second'], { env: env() });
    const file = join(dir, 'audit.jsonl');
    const ok = await flightdeck(['audit', 'verify', file]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/intact, \d+ line/);
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines[0] = lines[0]!.replace('"first"', '"forged"');
    await writeFile(file, lines.join('\n'));
    const bad = await flightdeck(['audit', 'verify', file]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/audit\.jsonl:1: /);
  });

  it('names lines removed from the end (the sealed head), and notes a log that has no head', async () => {
    await flightdeck(['rollback', planFile, '--yes', '--reason', 'first'], { env: env() });
    await flightdeck(['promote', planFile, '--yes', '--reason', 'second'], { env: env() });
    const file = join(dir, 'audit.jsonl');
    const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
    await writeFile(file, lines.slice(0, -1).map((l) => `${l}\n`).join(''));
    const cut = await flightdeck(['audit', 'verify', file]);
    expect(cut.code).toBe(1);
    expect(cut.stdout).toMatch(new RegExp(`audit\\.jsonl:${lines.length}: 1 line was removed from the end: the sealed head records seq ${lines.length} `));
    await rm(`${file}.head`);
    const old = await flightdeck(['audit', 'verify', file]);
    expect(old.code).toBe(0);
    expect(old.stdout).toMatch(/intact, \d+ line\(s\)\nnote: no sealed head beside it/);
  });

  it('given the plan instead of its audit log, says so and how to ask (exit 2), rather than calling it tampered', async () => {
    const r = await flightdeck(['audit', 'verify', planFile]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${planFile} is a plan, not an audit log: flightdeck audit verify --plan ${planFile}`);
    expect(r.stdout).toBe('');
  });
});
