/**
 * The PostgreSQL store: the rollout state, the action lock, the audit and
 * the guards' leadership of one plan in a PostgreSQL database shared by
 * several bastions. The schema is created or migrated on first use under a
 * transaction-scoped advisory lock and recorded in `flightdeck_schema_version`.
 *
 * Tables (every row keyed by the plan's key, `service/environment`, so the
 * same plan checked out on two bastions is one rollout):
 *  - flightdeck_state: one row per plan, the state's JSON text, replaced in one statement.
 *  - flightdeck_lock: the action lock, one row per plan: the holder (user, host, pid, pid start,
 *    process group, action, stage) and a fencing token from a sequence (the audit's actionId).
 *    A holder on this host is judged by the rules of actions/lock.ts (never broken while its
 *    processes live); a holder on another host is released only by that host, or once the guard
 *    lease it was taken under is held by another guard or has expired.
 *  - flightdeck_audit: one row per audit line, the exact JSONL line text with the same hash chain
 *    (audit/chain.ts). Append-only: the role Flightdeck runs as needs INSERT and SELECT on it, and
 *    nothing else (see README, "Several bastions"). flightdeck_audit_head keeps the last seq and
 *    hash (lines removed from the end are detected as with the file's sealed head).
 *  - flightdeck_lease: the guard leadership lease (see leadership.ts), flightdeck_guards: the
 *    guards seen for a plan (leader and standbys).
 *
 * The URL (and its password) never leaves this module: messages name the
 * database as `host:port/database` (see describeTarget).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import postgres from 'postgres';
import { holderState, withGroup, type HeldLock, type LockHolder, type LockResult, type HolderState } from '../actions/lock.js';
import { AuditError, sealEntry, type AppendOptions, type AuditEntry, type AuditRecord } from '../audit/log.js';
import { GENESIS_HASH, sha256Hex } from '../audit/chain.js';
import { verifyAuditBytes, type VerifyResult } from '../audit/verify.js';
import type { LoadedPlan } from '../plan/load.js';
import { formatState, parseState, fixFor, type RolloutState, type StateRead } from './rollout-state.js';
import type { RolloutStateStore, Store, ActionLockStore } from './store.js';

export const SCHEMA_VERSION = 2;

/** The one LISTEN/NOTIFY channel of every plan's guards (payloads name the plan's key). */
export const CHANNEL = 'flightdeck';

export type Sql = postgres.Sql<Record<string, never>>;

export interface PostgresConnectOptions {
  url: string;
  /** TLS: passed to the client as is (`sslmode` in the URL works too). */
  ssl?: boolean | 'require' | 'prefer' | 'verify-full' | { rejectUnauthorized?: boolean; ca?: string };
  /** Seconds to wait for a connection (default 5). */
  connectTimeout?: number;
  max?: number;
}

/** An action asked of a process that does not hold the plan's guard lease while a guard does. */
export class LeaderElsewhere extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeaderElsewhere';
  }
}

export class StoreUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreUnavailable';
  }
}

/** "PostgreSQL 127.0.0.1:5432/flightdeck" — never the user or password. */
export function describeTarget(url: string): string {
  try {
    const u = new URL(url);
    return `PostgreSQL ${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`;
  } catch {
    return 'PostgreSQL (URL not parseable)';
  }
}

/** An error message with the URL and its password removed. */
export function redactDbError(err: unknown, url: string): string {
  let text = err instanceof Error ? `${(err as NodeJS.ErrnoException).code && !(err as Error).message.includes(String((err as NodeJS.ErrnoException).code)) ? `${(err as NodeJS.ErrnoException).code} ` : ''}${err.message}` : String(err);
  const secrets = [url];
  try {
    const u = new URL(url);
    if (u.password) secrets.push(u.password, decodeURIComponent(u.password));
  } catch {
    // nothing more to hide
  }
  for (const s of secrets) if (s) text = text.split(s).join('***');
  return text;
}

export function connect(o: PostgresConnectOptions): Sql {
  return postgres(o.url, {
    max: o.max ?? 4,
    connect_timeout: o.connectTimeout ?? 5,
    idle_timeout: 30,
    onnotice: () => undefined,
    ...tlsOption(o.url, o.ssl),
  }) as unknown as Sql;
}

/**
 * The client's TLS option. `verify-full` (in the plan, or `sslmode=` in the URL) goes to Node as an
 * object naming the host: postgres.js gives Node no server name for an IP address, and Node then checks
 * the certificate against "localhost" (a certificate for 127.0.0.1 was refused as not matching).
 */
function tlsOption(url: string, ssl: PostgresConnectOptions['ssl']): { ssl?: never } {
  let host = '';
  let mode: string | null = null;
  try {
    const u = new URL(url);
    host = u.hostname.replace(/^\[|\]$/g, '');
    mode = u.searchParams.get('sslmode');
  } catch {
    // not a URL the WHATWG parser takes: leave it to the client
  }
  if ((ssl ?? mode) === 'verify-full' && host) return { ssl: { rejectUnauthorized: true, host } as never };
  return ssl !== undefined ? { ssl: ssl as never } : {};
}

/** Creates or migrates the schema (idempotent; concurrent callers serialise on an advisory lock). */
export async function migrate(sql: Sql): Promise<number> {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('flightdeck.schema'))`;
    // A role without CREATE (the least-privileged role Flightdeck runs as) finds the schema made by the owner.
    const [exists] = await tx<{ t: string | null }[]>`select to_regclass('flightdeck_schema_version')::text as t`;
    if (exists?.t) {
      const [cur] = await tx<{ v: number | null }[]>`select max(version) as v from flightdeck_schema_version`;
      if ((cur?.v ?? 0) === SCHEMA_VERSION) return SCHEMA_VERSION;
    }
    await tx`create table if not exists flightdeck_schema_version (version integer not null, applied_at timestamptz not null default now())`;
    const [row] = await tx<{ v: number | null }[]>`select max(version) as v from flightdeck_schema_version`;
    const have = row?.v ?? 0;
    if (have > SCHEMA_VERSION) throw new StoreUnavailable(`the database has schema version ${have}, newer than this Flightdeck knows (${SCHEMA_VERSION}): upgrade Flightdeck`);
    if (have < 1) {
      await tx.unsafe(`
        create table if not exists flightdeck_state (plan_key text primary key, state text not null, updated_at timestamptz not null default now());
        create sequence if not exists flightdeck_fence;
        create table if not exists flightdeck_lock (
          plan_key text primary key, token bigint not null, holder jsonb not null, lease_token bigint, taken_at timestamptz not null default now());
        create table if not exists flightdeck_audit (
          id bigserial primary key, plan_key text not null, seq integer not null, line text not null, written_at timestamptz not null default now(),
          unique (plan_key, seq));
        create table if not exists flightdeck_audit_head (plan_key text primary key, seq integer not null, hash text not null, time text not null);
        create table if not exists flightdeck_lease (
          plan_key text primary key, token bigint not null, guard_id text not null, host text not null, pid integer not null,
          state_dir text not null, acquired_at timestamptz not null, renewed_at timestamptz not null, expires_at timestamptz not null);
        create table if not exists flightdeck_guards (
          plan_key text not null, guard_id text not null, host text not null, pid integer not null, state_dir text not null,
          role text not null, seen_at timestamptz not null, primary key (plan_key, guard_id));
      `);
      await tx`insert into flightdeck_schema_version (version) values (1)`;
    }
    if (have < 2) {
      // Commands asked of a standby, taken and answered by the leader (several bastions).
      await tx.unsafe(`
        create table if not exists flightdeck_commands (
          id bigserial primary key, plan_key text not null, command text not null, args jsonb not null, operator jsonb not null,
          asked_by text not null, asked_at timestamptz not null default now(),
          claimed_token bigint, claimed_by text, claimed_at timestamptz, answer jsonb, answered_at timestamptz);
        create index if not exists flightdeck_commands_open on flightdeck_commands (plan_key, id) where claimed_token is null;
      `);
      await tx`insert into flightdeck_schema_version (version) values (2)`;
    }
    return SCHEMA_VERSION;
  });
}

/** The plan's key in every table: its service and environment (the same plan on every bastion). */
export function planKey(loaded: LoadedPlan): string {
  return `${loaded.plan.service}/${loaded.plan.environment}`;
}

export interface PostgresStoreOptions extends PostgresConnectOptions {
  planArg?: string;
}

/** A store and the connection under it (closed by `close`). */
export interface PostgresStore extends Store {
  readonly sql: Sql;
  readonly key: string;
  readonly target: string;
  /** Set by the guard while it leads: the lease token its actions are taken under. */
  leaseToken: bigint | null;
  ready(): Promise<void>;
  verifyAudit(): Promise<VerifyResult>;
  exportAudit(): Promise<string>;
  close(): Promise<void>;
}

export function postgresStore(loaded: LoadedPlan, o: PostgresStoreOptions): PostgresStore {
  const sql = connect(o);
  const key = planKey(loaded);
  const target = describeTarget(o.url);
  const location = `${target} (plan ${key})`;
  const planArg = o.planArg ?? loaded.file;
  let migrated: Promise<void> | null = null;
  const fail = (what: string, err: unknown): never => {
    if (err instanceof StoreUnavailable) throw new StoreUnavailable(`${what}: ${err.message}`);
    throw new StoreUnavailable(`${what}: ${target} ${describeDbFailure(err, o.url)}`);
  };
  const ready = async (): Promise<void> => {
    migrated ??= migrate(sql).then(
      () => undefined,
      (err: unknown) => {
        migrated = null;
        throw err;
      },
    );
    return migrated;
  };

  const state: RolloutStateStore = {
    location,
    async read(): Promise<StateRead> {
      try {
        await ready();
        const rows = await sql<{ state: string }[]>`select state from flightdeck_state where plan_key = ${key}`;
        if (rows.length === 0) return { status: 'none', location };
        return parseState(rows[0]!.state, location, loaded.plan, planArg);
      } catch (err) {
        const problem = `cannot be read (${err instanceof StoreUnavailable ? err.message : redactDbError(err, o.url)})`;
        return { status: 'broken', location, problem: { kind: 'unreadable', location, problem, fix: fixFor(planArg, loaded.plan.stages.map((s) => s.id)) } };
      }
    },
    async write(s: RolloutState): Promise<void> {
      const text = formatState(s);
      try {
        await ready();
        await sql`insert into flightdeck_state (plan_key, state, updated_at) values (${key}, ${text}, now())
                  on conflict (plan_key) do update set state = excluded.state, updated_at = now()`;
        // Standbys mirror the rollout live: they read the state again when told (guard/bastions.ts).
        await sql.notify(CHANNEL, JSON.stringify({ k: key, t: 'state', pid: process.pid })).catch(() => undefined);
      } catch (err) {
        fail('the rollout state was not saved', err);
      }
    },
  };

  const store: PostgresStore = {
    sql,
    key,
    target,
    leaseToken: null,
    ready,
    state,
    lock: undefined as unknown as ActionLockStore,
    audit: {
      append: async (entry, opts) => {
        try {
          await ready();
          return await appendRow(sql, key, entry, opts ?? {});
        } catch (err) {
          if (err instanceof StoreUnavailable) throw new AuditError(`cannot write the audit (plan ${key}): ${err.message}`);
          throw new AuditError(`cannot write the audit (plan ${key}): ${target} ${describeDbFailure(err, o.url)}`);
        }
      },
    },
    async verifyAudit() {
      await ready().catch((err: unknown) => fail('cannot read the audit', err));
      const text = await this.exportAudit();
      const head = await sql<{ seq: number; hash: string; time: string }[]>`select seq, hash, time from flightdeck_audit_head where plan_key = ${key}`;
      return verifyAuditBytes(Buffer.from(text), head[0] ? { kind: 'ok', head: head[0] } : { kind: 'none' }, `flightdeck_audit_head (plan ${key})`);
    },
    async exportAudit() {
      try {
        await ready();
        const rows = await sql<{ line: string }[]>`select line from flightdeck_audit where plan_key = ${key} order by id`;
        return rows.map((r) => `${r.line}\n`).join('');
      } catch (err) {
        return fail('cannot read the audit', err);
      }
    },
    async close() {
      await sql.end({ timeout: 2 });
    },
  };
  (store as { lock: ActionLockStore }).lock = postgresLock(store, loaded, fail);
  return store;
}

/** What went wrong with the database, for a message: never the URL or password. */
export function describeDbFailure(err: unknown, url: string): string {
  const e = err as { code?: string; message?: string; errno?: string };
  const code = e?.code;
  if (code === 'ECONNREFUSED' || code === 'CONNECT_TIMEOUT' || code === 'ETIMEDOUT' || code === 'ENOTFOUND' || code === 'CONNECTION_CLOSED' || code === 'CONNECTION_ENDED' || code === 'CONNECTION_DESTROYED' || code === '57P01') {
    return `is unreachable (${code}): is the database running and reachable from this bastion?`;
  }
  if (code === '42501') return `refused a statement: the role lacks a grant (${redactDbError(err, url)})`;
  if (code === '28P01' || code === '28000') return `refused the login (${code}): check the user and password in the store URL`;
  if (code === '3D000') return `has no such database (${redactDbError(err, url)})`;
  return `failed: ${redactDbError(err, url)}`;
}

/** Lines a retried append may have written before its reply was lost: the last few of the plan's audit. */
const ONCE_LOOKBACK = 200;

/** The line this action already has with this result, among the plan's last ONCE_LOOKBACK, if any. */
async function alreadyWritten(sql: Sql, key: string, once: { actionId: string; result: string }): Promise<AuditRecord | null> {
  const rows = await sql<{ line: string }[]>`select line from flightdeck_audit where plan_key = ${key} order by id desc limit ${ONCE_LOOKBACK}`;
  for (const { line } of rows) {
    const rec = JSON.parse(line) as AuditRecord & { details?: { actionId?: unknown } };
    if (rec.result === once.result && rec.details?.actionId === once.actionId) return rec;
  }
  return null;
}

async function appendRow(sql: Sql, key: string, entry: AuditEntry, opts: AppendOptions): Promise<AuditRecord> {
  return sql.begin(async (tx) => {
    // One appender per plan at a time, across bastions.
    await tx`select pg_advisory_xact_lock(hashtext(${`flightdeck.audit.${key}`}))`;
    if (opts.once) {
      const written = await alreadyWritten(tx as unknown as Sql, key, opts.once);
      if (written) return written;
    }
    const [last] = await tx<{ seq: number; line: string }[]>`select seq, line from flightdeck_audit where plan_key = ${key} order by id desc limit 1`;
    const { record, line } = sealEntry(entry, opts, last ? { seq: last.seq, hash: sha256Hex(last.line) } : { seq: 0, hash: GENESIS_HASH });
    await tx`insert into flightdeck_audit (plan_key, seq, line) values (${key}, ${record.seq as number}, ${line})`;
    await tx`insert into flightdeck_audit_head (plan_key, seq, hash, time) values (${key}, ${record.seq as number}, ${sha256Hex(line)}, ${record.time as string})
             on conflict (plan_key) do update set seq = excluded.seq, hash = excluded.hash, time = excluded.time`;
    return JSON.parse(line) as AuditRecord;
  });
}

// ---------------------------------------------------------------- the action lock

type PgLockStore = ActionLockStore;

function osHostname(): string {
  try {
    return hostname() || 'localhost';
  } catch {
    return 'localhost';
  }
}

/**
 * The name this bastion goes by in the store (lease, lock rows, status): FLIGHTDECK_BASTION, or the
 * host name. Processes of a lock row are judged by their pid only under this bastion's own name;
 * two bastions that share a host name (containers) must be given distinct names.
 */
export function bastionName(env: NodeJS.ProcessEnv = process.env): string {
  const named = env.FLIGHTDECK_BASTION?.trim();
  return named ? named : osHostname();
}

const safeHostname = (): string => bastionName();

/** The lock tokens this process holds now. */
const heldHere = new Set<string>();

function postgresLock(store: PostgresStore, loaded: LoadedPlan, fail: (what: string, err: unknown) => never): PgLockStore {
  const { sql, key } = store;
  /** A holder's state: this host's by its processes; another host's by the lease it was taken under. */
  const judge = async (h: LockHolder, leaseToken: bigint | null, tx: Sql | postgres.TransactionSql): Promise<HolderState> => {
    // This process's own row whose release could not be written (database away): ended, free.
    if (h.host === safeHostname() && h.pid === process.pid && h.token !== undefined && !heldHere.has(h.token)) return 'stale';
    // This bastion's own processes are looked at (holderState judges by this machine's host name).
    if (h.host === safeHostname()) return holderState({ ...h, host: osHostname() });
    if (leaseToken === null) return 'alive';
    const [lease] = await (tx as Sql)<{ token: string; live: boolean }[]>`select token::text as token, expires_at > now() as live from flightdeck_lease where plan_key = ${key}`;
    // The guard that took it still leads (or no newer guard leads yet): that host releases it.
    if (!lease || (BigInt(lease.token) === leaseToken && lease.live)) return 'alive';
    return 'stale';
  };
  const self: PgLockStore = {
    async acquire(o: { action: string; operator: string; stageId?: string; auto?: boolean }): Promise<LockResult> {
      try {
        await store.ready();
        return await sql.begin(async (tx) => {
          const rows = await tx<{ token: string; holder: LockHolder; lease_token: string | null }[]>`
            select token::text as token, holder, lease_token::text as lease_token from flightdeck_lock where plan_key = ${key} for update`;
          // While a guard leads this plan, every action goes through it: a one-shot command or a
          // cockpit in its own process (no lease of its own) is refused and told where the leader is.
          const [lease] = await tx<{ token: string; host: string; pid: number; state_dir: string }[]>`
            select token::text as token, host, pid, state_dir from flightdeck_lease where plan_key = ${key} and expires_at > now()`;
          if (lease && (store.leaseToken === null || BigInt(lease.token) !== store.leaseToken)) {
            throw new LeaderElsewhere(`a guard leads this plan (${lease.host} pid ${lease.pid}, ${lease.state_dir}): act through it — on that bastion, \`flightdeck promote|rollback\` and cockpits go through it`);
          }
          let abandoned: LockHolder | undefined;
          if (rows[0]) {
            const current = rows[0].holder;
            const st = await judge(current, rows[0].lease_token === null ? null : BigInt(rows[0].lease_token), tx as unknown as Sql);
            if (st !== 'stale') return { ok: false as const, holder: current };
            abandoned = current;
            await tx`delete from flightdeck_lock where plan_key = ${key}`;
          }
          const fence = (await tx<{ fence: string }[]>`select nextval('flightdeck_fence')::text as fence`)[0]!.fence;
          const holder: LockHolder = {
            user: o.operator,
            host: safeHostname(),
            pid: process.pid,
            action: o.action,
            startedAt: Date.now(),
            planFile: loaded.file,
            token: fence,
          };
          if (o.stageId !== undefined) holder.stageId = o.stageId;
          if (o.auto) holder.auto = true;
          const start = procStart(process.pid);
          if (start !== undefined) holder.pidStart = start;
          heldHere.add(fence);
          await tx`insert into flightdeck_lock (plan_key, token, holder, lease_token) values (${key}, ${fence}, ${tx.json(holder as never)}, ${store.leaseToken === null ? null : store.leaseToken.toString()})`;
          return held(holder, abandoned);
        });
      } catch (err) {
        if (err instanceof LeaderElsewhere) throw err;
        return fail('the action lock could not be taken', err);
      }
    },
    async inspect() {
      try {
        await store.ready();
        const rows = await sql<{ holder: LockHolder; lease_token: string | null }[]>`select holder, lease_token::text as lease_token from flightdeck_lock where plan_key = ${key}`;
        if (!rows[0]) return null;
        const holder = rows[0].holder;
        const state = await judge(holder, rows[0].lease_token === null ? null : BigInt(rows[0].lease_token), sql);
        return { holder, state, ...(holder.host !== safeHostname() ? { unseen: true } : {}) };
      } catch (err) {
        return fail('the action lock could not be read', err);
      }
    },
    async clearStale(h: LockHolder) {
      try {
        return await sql.begin(async (tx) => {
          const rows = await tx<{ holder: LockHolder; lease_token: string | null }[]>`select holder, lease_token::text as lease_token from flightdeck_lock where plan_key = ${key} and token = ${h.token ?? '-1'} for update`;
          if (!rows[0]) return false;
          if ((await judge(rows[0].holder, rows[0].lease_token === null ? null : BigInt(rows[0].lease_token), tx as unknown as Sql)) !== 'stale') return false;
          await tx`delete from flightdeck_lock where plan_key = ${key} and token = ${h.token!}`;
          return true;
        });
      } catch {
        return false;
      }
    },
  };

  function held(holder: LockHolder, abandoned: LockHolder | undefined): HeldLock {
    let released = false;
    let writes: Promise<void> = Promise.resolve();
    const lock: HeldLock = {
      ok: true,
      holder,
      path: `${store.target} flightdeck_lock (plan ${key})`,
      recordGroup(pgid, disowned) {
        writes = writes.then(async () => {
          if (released) return;
          const next = withGroup(holder, pgid, disowned);
          Object.assign(holder, next);
          if (next.pgid === undefined) delete holder.pgid;
          await sql`update flightdeck_lock set holder = ${sql.json(holder as never)} where plan_key = ${key} and token = ${holder.token!}`;
        });
        return writes;
      },
      async release() {
        if (released) return;
        await writes.catch(() => undefined);
        released = true;
        heldHere.delete(holder.token!);
        // Kept on failure (database away): its holder is this process; the next acquire here sees it
        // stale once this process ended, or the lease decides on another host.
        for (let i = 0; i < 20; i++) {
          try {
            await sql`delete from flightdeck_lock where plan_key = ${key} and token = ${holder.token!}`;
            return;
          } catch {
            await new Promise((r) => setTimeout(r, 500));
          }
        }
      },
    };
    if (abandoned) lock.abandoned = abandoned;
    return lock;
  }
  return self;
}

function procStart(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const v = Number(rest[19]);
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export function guardId(): string {
  return `${safeHostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}
