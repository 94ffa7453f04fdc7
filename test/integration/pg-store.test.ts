/**
 * The PostgreSQL store against a REAL PostgreSQL 15 (initdb + pg_ctl on 127.0.0.1, one per file):
 * schema versioning, the rollout state, the action lock and its fencing, the audit's hash chain
 * (verify detects an edited, removed or reordered row; export writes the JSONL that verifies as a
 * file), the append-only grants, a stopped database refusing clearly, and no password in messages.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditBytes } from '../../src/audit/verify.js';
import { parsePlanText, PlanError } from '../../src/plan/load.js';
import { chooseStore } from '../../src/store/choose.js';
import { migrate, postgresStore, SCHEMA_VERSION, type PostgresStore } from '../../src/store/postgres.js';
import { planStamp, type RolloutState } from '../../src/store/rollout-state.js';
import { flightdeck } from '../helpers/cli.js';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.js';

const PLAN = (service: string) => `service: ${service}
prometheus: { url: "http://127.0.0.1:9090" }
store: { postgres: { urlEnv: FD_TEST_PG } }
stages:
  - id: one
    gates:
      - { id: q, query: 'max(b)', fail: "> 1" }
  - id: two
    gates:
      - { id: q, query: 'max(b)', fail: "> 1" }
`;

let pg: RunningPostgres;
let admin: postgres.Sql;
const stores: PostgresStore[] = [];
let tmp: string;

function storeFor(service: string, url = pg.url): PostgresStore {
  const s = postgresStore(parsePlanText(PLAN(service), '/tmp/p.yaml', '/tmp'), { url, connectTimeout: 2 });
  stores.push(s);
  return s;
}

const entry = (action: string, result = 'ok') => ({ plan: 'p.yaml', service: 's', stage: 'one', action, result, operator: { user: 'alice', host: 'bastion-a' } });

beforeAll(async () => {
  pg = await startPostgres();
  admin = postgres(pg.url, { max: 2, onnotice: () => undefined });
  tmp = await mkdtemp(join(tmpdir(), 'fd-pgstore-'));
}, 60_000);

afterAll(async () => {
  for (const s of stores) await s.close().catch(() => undefined);
  await admin?.end({ timeout: 2 });
  await pg?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('PostgreSQL store', () => {
  it('creates the schema once, versioned; a second migrate is a no-op', async () => {
    const s = storeFor('schema');
    await s.ready();
    await expect(migrate(s.sql)).resolves.toBe(SCHEMA_VERSION);
    const rows = await admin<{ version: number }[]>`select version from flightdeck_schema_version`;
    expect(rows.map((r) => r.version)).toEqual([1, 2]);
  });

  it('keeps one rollout state per plan, replaced whole', async () => {
    const s = storeFor('state');
    const loaded = parsePlanText(PLAN('state'), '/tmp/p.yaml', '/tmp');
    expect((await s.state.read()).status).toBe('none');
    const st: RolloutState = {
      version: 2,
      plan: planStamp(loaded.plan),
      stageId: 'two',
      stageEnteredAt: 1000,
      rolledBack: false,
      window: { start: 1000, end: 2000 },
      baselines: {},
      updatedAt: 1500,
      by: 'alice',
    };
    await s.state.write(st);
    await s.state.write({ ...st, rolledBack: true });
    const read = await s.state.read();
    expect(read.status).toBe('ok');
    expect(read.status === 'ok' && read.state.rolledBack).toBe(true);
    expect(read.location).not.toContain(pg.password);
    const rows = await admin`select plan_key from flightdeck_state where plan_key = 'state/production'`;
    expect(rows.length).toBe(1);
  });

  it('the action lock: one holder with a fencing token; refused while held; a dead same-host holder is stale, a live group is not', async () => {
    const a = storeFor('lock');
    const b = storeFor('lock');
    const first = await a.lock.acquire({ action: 'rollback', operator: 'alice', stageId: 'one' });
    expect(first.ok).toBe(true);
    const refused = await b.lock.acquire({ action: 'promote', operator: 'bob' });
    expect(refused.ok).toBe(false);
    expect(refused.holder.action).toBe('rollback');
    if (!first.ok) throw new Error('unreachable');
    await first.release();
    const second = await b.lock.acquire({ action: 'promote', operator: 'bob' });
    expect(second.ok).toBe(true);
    if (!second.ok) throw new Error('unreachable');
    expect(BigInt(second.holder.token!)).toBeGreaterThan(BigInt(first.holder.token!));
    await second.release();

    // A holder on this host whose pid is gone but whose step's process group still runs: never broken.
    const sleeper = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    const dead = spawn('true');
    await new Promise((r) => dead.once('exit', r));
    const holder = { user: 'carol', host: hostname(), pid: dead.pid!, action: 'rollback', startedAt: Date.now(), planFile: '/x', token: '999999', pgid: sleeper.pid! };
    await admin`insert into flightdeck_lock (plan_key, token, holder) values ('lock/production', 999999, ${admin.json(holder)})`;
    try {
      const blocked = await a.lock.acquire({ action: 'rollback', operator: 'alice' });
      expect(blocked.ok).toBe(false);
      expect((await a.lock.inspect())?.state).toBe('orphaned');
    } finally {
      process.kill(-sleeper.pid!, 'SIGKILL');
    }
    await new Promise((r) => sleeper.once('exit', r));
    // The group is gone: the lock is stale, and the next acquire takes it and names the abandoned holder.
    const taken = await a.lock.acquire({ action: 'rollback', operator: 'alice' });
    expect(taken.ok).toBe(true);
    if (!taken.ok) throw new Error('unreachable');
    expect(taken.abandoned?.user).toBe('carol');
    await taken.release();

    // A holder on another host whose guard lease is still the current one: alive (released only by that host).
    // (While a guard leads, only it may take the lock: this store acts as that guard.)
    a.leaseToken = 5n;
    await admin`insert into flightdeck_lease (plan_key, token, guard_id, host, pid, state_dir, acquired_at, renewed_at, expires_at)
                values ('lock/production', 5, 'g', 'elsewhere', 1, '/d', now(), now(), now() + interval '15 seconds')`;
    const remote = { ...holder, host: 'elsewhere', token: '888888', pid: 1 };
    await admin`insert into flightdeck_lock (plan_key, token, holder, lease_token) values ('lock/production', 888888, ${admin.json(remote)}, 5)`;
    expect((await a.lock.acquire({ action: 'rollback', operator: 'alice' })).ok).toBe(false);
    // Its lease expired (the leader died): the lock goes with it.
    await admin`update flightdeck_lease set expires_at = now() - interval '1 second' where plan_key = 'lock/production'`;
    const after = await a.lock.acquire({ action: 'rollback', operator: 'alice' });
    expect(after.ok).toBe(true);
    if (after.ok) await after.release();

    // A live lease held by a guard: a process without it (a one-shot command) is refused, told where the leader is.
    await admin`update flightdeck_lease set expires_at = now() + interval '15 seconds', token = 6 where plan_key = 'lock/production'`;
    await expect(b.lock.acquire({ action: 'rollback', operator: 'bob' })).rejects.toThrow(/a guard leads this plan \(elsewhere pid 1, \/d\): act through it/);
    await expect(a.lock.acquire({ action: 'rollback', operator: 'alice' })).rejects.toThrow(/a guard leads this plan/); // its old token 5
    a.leaseToken = 6n;
    const leader = await a.lock.acquire({ action: 'rollback', operator: 'alice' });
    expect(leader.ok).toBe(true);
    if (leader.ok) await leader.release();
    a.leaseToken = null;
    await admin`delete from flightdeck_lease where plan_key = 'lock/production'`;
  });

  it('audit: the same hash chain as the JSONL; export verifies as a file; verify detects an edited, removed or reordered row', async () => {
    const s = storeFor('audit');
    for (let i = 1; i <= 5; i++) await s.audit.append(entry(`a${i}`));
    expect(await s.verifyAudit()).toEqual({ ok: true, lines: 5 });
    const jsonl = await s.exportAudit();
    expect(jsonl.split('\n').length).toBe(6);
    expect(verifyAuditBytes(Buffer.from(jsonl))).toMatchObject({ ok: true, lines: 5 });

    const key = 'audit/production';
    const rows = await admin<{ id: string; line: string }[]>`select id::text as id, line from flightdeck_audit where plan_key = ${key} order by id`;
    // Edited.
    const edited = rows[2]!.line.replace('"a3"', '"a9"');
    await admin`update flightdeck_audit set line = ${edited} where id = ${rows[2]!.id}`;
    expect(await s.verifyAudit()).toMatchObject({ ok: false, line: 3, problem: expect.stringContaining('edited') });
    await admin`update flightdeck_audit set line = ${rows[2]!.line} where id = ${rows[2]!.id}`;
    // Reordered (two rows' lines swapped).
    await admin`update flightdeck_audit set line = ${rows[2]!.line} where id = ${rows[1]!.id}`;
    await admin`update flightdeck_audit set line = ${rows[1]!.line} where id = ${rows[2]!.id}`;
    expect(await s.verifyAudit()).toMatchObject({ ok: false, line: 2 });
    await admin`update flightdeck_audit set line = ${rows[1]!.line} where id = ${rows[1]!.id}`;
    await admin`update flightdeck_audit set line = ${rows[2]!.line} where id = ${rows[2]!.id}`;
    expect((await s.verifyAudit()).ok).toBe(true);
    // Removed from the middle, then from the end (the head catches that).
    await admin`delete from flightdeck_audit where id = ${rows[3]!.id}`;
    expect(await s.verifyAudit()).toMatchObject({ ok: false, line: 4, problem: expect.stringContaining('missing') });
    await admin`insert into flightdeck_audit (id, plan_key, seq, line) values (${rows[3]!.id}, ${key}, 4, ${rows[3]!.line})`;
    await admin`delete from flightdeck_audit where id = ${rows[4]!.id}`;
    expect(await s.verifyAudit()).toMatchObject({ ok: false, problem: expect.stringContaining('removed from the end') });
  });

  it("an action's outcome row is written once: an append retried after its reply was lost (committed) writes nothing more", async () => {
    const s = storeFor('once');
    const key = 'once/production';
    const count = async () => Number((await admin<{ n: string }[]>`select count(*)::text as n from flightdeck_audit where plan_key = ${key}`)[0]!.n);
    const action = (result: string) => ({ ...entry('rollback', result), details: { actionId: '42' } });
    await s.audit.append(action('started'));
    const first = await s.audit.append(action('ok'), { once: { actionId: '42', result: 'ok' } });
    // The session's retry, as after "connection reset" on a reply whose transaction had committed.
    const again = await s.audit.append(action('ok'), { once: { actionId: '42', result: 'ok' } });
    expect(again).toEqual(first);
    expect(await count()).toBe(2);
    // Another action's line, and another result of this one, are written.
    await s.audit.append({ ...action('ok'), details: { actionId: '43' } }, { once: { actionId: '43', result: 'ok' } });
    await s.audit.append(action('outcome unknown'), { once: { actionId: '42', result: 'outcome unknown' } });
    expect(await count()).toBe(4);
    expect(await s.verifyAudit()).toEqual({ ok: true, lines: 4 });
  });

  it('the role Flightdeck uses gets INSERT and SELECT on the audit: UPDATE and DELETE are refused', async () => {
    const boot = storeFor('grants');
    await boot.ready();
    await admin.unsafe(`create role fd_app login password 'app-pass-1'`);
    await admin.unsafe(`grant select, insert on flightdeck_audit to fd_app`);
    await admin.unsafe(`grant usage on sequence flightdeck_audit_id_seq, flightdeck_fence to fd_app`);
    await admin.unsafe(`grant select, insert, update, delete on flightdeck_state, flightdeck_lock, flightdeck_audit_head, flightdeck_lease, flightdeck_guards to fd_app`);
    await admin.unsafe(`grant select on flightdeck_schema_version to fd_app`);
    const s = storeFor('grants', pg.urlFor('fd_app', 'app-pass-1'));
    await s.audit.append(entry('a1'));
    await s.audit.append(entry('a2'));
    expect((await s.verifyAudit()).ok).toBe(true);
    const app = postgres(pg.urlFor('fd_app', 'app-pass-1'), { max: 1, onnotice: () => undefined });
    try {
      await expect(app`update flightdeck_audit set line = 'x'`).rejects.toMatchObject({ code: '42501' });
      await expect(app`delete from flightdeck_audit`).rejects.toMatchObject({ code: '42501' });
      await expect(app`truncate flightdeck_audit`).rejects.toMatchObject({ code: '42501' });
    } finally {
      await app.end({ timeout: 2 });
    }
  });

  it('a literal URL in the plan is refused at load, naming the file, line and field', () => {
    const text = `service: s
prometheus: { url: "http://127.0.0.1:9090" }
store:
  postgres:
    urlEnv: FD_TEST_PG
    url: "postgres://u:hunter2@db:5432/x"
stages:
  - id: one
    gates: []
`;
    let err: unknown;
    try {
      parsePlanText(text, 'plan.yaml', '/tmp');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PlanError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/plan\.yaml:6:\d+ store\.postgres\.url: a URL with a user and password is not allowed in a plan/);
    expect(msg).not.toContain('hunter2');
  });

  it('an unset URL variable, an unreachable or stopped database: clear errors that never show the URL or password', async () => {
    const loaded = parsePlanText(PLAN('down'), '/tmp/p.yaml', '/tmp');
    await expect(chooseStore(loaded, {})).rejects.toThrow(/environment variable FD_TEST_PG is not set/);
    const wrong = `postgres://flightdeck:${pg.password}@127.0.0.1:1/flightdeck`;
    const chosen = await chooseStore(loaded, { FD_TEST_PG: wrong });
    stores.push(chosen.postgres!);
    const err = await chosen.store.audit.append(entry('x')).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/PostgreSQL 127\.0\.0\.1:1\/flightdeck is unreachable/);
    expect(err?.message).not.toContain(pg.password);
    const lockErr = await chosen.store.lock.acquire({ action: 'rollback', operator: 'a' }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(lockErr?.message).toMatch(/the action lock could not be taken: PostgreSQL 127\.0\.0\.1:1\/flightdeck is unreachable/);
    expect(lockErr?.message).not.toContain(pg.password);
    const st = await chosen.store.state.read();
    expect(st.status).toBe('broken');
    expect(JSON.stringify(st)).not.toContain(pg.password);
    // The file the plan names never gets the URL either.
    await writeFile(join(tmp, 'ok'), '');
  });

  it('audit verify/export --store-url-env: the plan needs no store field; a bad or unreachable database is a clear exit 2 that never shows the password', async () => {
    const plain = `service: cli
prometheus: { url: "http://127.0.0.1:9090" }
stages:
  - id: one
    gates: []
`;
    await writeFile(join(tmp, 'plain.yaml'), plain);
    const env = { DB_URL: pg.url, DOWN_URL: `postgres://flightdeck:${pg.password}@127.0.0.1:1/flightdeck` };
    const run = (args: string[]) => flightdeck(args, { cwd: tmp, env, timeoutMs: 30_000 });
    const s = storeFor('cli');
    await s.audit.append(entry('a1'));
    const ok = await run(['audit', 'verify', '--plan', 'plain.yaml', '--store-url-env', 'DB_URL']);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/flightdeck_audit \(plan cli\/production\): intact, 1 line\(s\)/);
    const out = await run(['audit', 'export', '--plan', 'plain.yaml', '--store-url-env', 'DB_URL', '--out', 'x.jsonl']);
    expect(out.code).toBe(0);
    expect((await run(['audit', 'verify', 'x.jsonl'])).stdout).toMatch(/intact, 1 line/);
    const down = await run(['audit', 'verify', '--plan', 'plain.yaml', '--store-url-env', 'DOWN_URL']);
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/PostgreSQL 127\.0\.0\.1:1\/flightdeck is unreachable/);
    const unset = await run(['audit', 'verify', '--plan', 'plain.yaml', '--store-url-env', 'NOT_SET']);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toMatch(/environment variable NOT_SET is not set/);
    for (const r of [ok, out, down, unset]) expect(r.stdout + r.stderr).not.toContain(pg.password);
  });

  it('an action whose started row cannot be written is not started: the role lacking INSERT on the audit is named, the script never runs', async () => {
    const boot = storeFor('noaudit');
    await boot.ready();
    await admin.unsafe(`create role fd_noaudit login password 'noaudit-pass-7'`);
    await admin.unsafe(`grant select on flightdeck_audit, flightdeck_schema_version to fd_noaudit`);
    await admin.unsafe(`grant usage on sequence flightdeck_fence to fd_noaudit`);
    await admin.unsafe(`grant select, insert, update, delete on flightdeck_state, flightdeck_lock, flightdeck_audit_head, flightdeck_lease, flightdeck_guards to fd_noaudit`);
    await writeFile(join(tmp, 'rb.sh'), '#!/usr/bin/env bash\necho ran >> "$MARKER"\n', { mode: 0o755 });
    await writeFile(
      join(tmp, 'noaudit.yaml'),
      `service: noaudit
prometheus: { url: "http://127.0.0.1:9" }
store: { postgres: { urlEnv: FD_TEST_PG } }
logs: { dir: logs }
stages:
  - id: one
    gates: []
    rollback: { run: [./rb.sh] }
`,
    );
    const r = await flightdeck(['rollback', 'noaudit.yaml', '--yes', '--reason', 'test'], {
      cwd: tmp,
      env: { FD_TEST_PG: pg.urlFor('fd_noaudit', 'noaudit-pass-7'), MARKER: join(tmp, 'noaudit-ran') },
      timeoutMs: 30_000,
    });
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout + r.stderr).toMatch(/not started: its start could not be written to the audit log \(cannot write the audit \(plan noaudit\/production\): PostgreSQL 127\.0\.0\.1:\d+\/flightdeck refused a statement: the role lacks a grant/);
    expect(r.stdout + r.stderr).not.toContain('noaudit-pass-7');
    const { existsSync } = await import('node:fs');
    expect(existsSync(join(tmp, 'noaudit-ran'))).toBe(false);
    // The lock was given back.
    expect((await admin`select 1 from flightdeck_lock where plan_key = 'noaudit/production'`).length).toBe(0);
  });
});
