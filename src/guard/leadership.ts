/**
 * Leadership of several guards watching one plan from several bastions, on
 * the PostgreSQL store: exactly one leads — it holds the plan's row in
 * flightdeck_lease — polls and acts; the others stand by (they poll and show,
 * they do not act) and try to take the lease every third of it.
 *
 * The lease is a row with an expiry computed by the database clock
 * (`now() + lease`) and a fencing token from the sequence the action lock
 * uses; it is taken only once expired (`on conflict … where expires_at <
 * now()`), so a standby takes over within one lease of the leader's death
 * (kill -9) or of the leader losing the database. The leader counts its lease
 * from the moment it sent the last renewal that succeeded, on its own
 * monotonic clock, and stops acting a fifth of the lease before that runs
 * out: by the time a standby can take the lease, the old leader has stopped
 * acting. An action the old leader started keeps its lock row (taken under
 * its lease token): on the same host its processes decide (actions/lock.ts),
 * on another host the lock goes stale only once the lease has changed hands,
 * and the new leader records that action's end as unknown (write-ahead audit).
 */
import { bastionName, describeDbFailure, guardId, type PostgresStore } from '../store/postgres.js';

export interface LeaseView {
  role: 'leader' | 'standby';
  /** This guard's id (host:pid:random). */
  self: string;
  leader: { id: string; host: string; pid: number; stateDir: string; token: string; renewedAgoMs: number; acquiredAgoMs: number } | null;
  standbys: Array<{ id: string; host: string; pid: number; stateDir: string; seenAgoMs: number }>;
  /** Why this guard does not act now (standing by, lost the database), or null. */
  notActing: string | null;
  leaseMs: number;
}

export interface LeadershipOptions {
  store: PostgresStore;
  leaseMs: number;
  stateDir: string;
  log(line: string): void;
  /** Called each time this guard becomes the leader. */
  onLead?(token: bigint): void;
  /** Called when this guard stops leading (the lease was taken or ran out). */
  onLose?(why: string): void;
}

export class Leadership {
  readonly id = guardId();
  private token: bigint | null = null;
  /** performance.now() when the last successful renewal (or acquisition) was sent. */
  private validFrom = 0;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private lastError: string | null = null;
  private stopped = false;
  /** This guard held the lease last, as far as it knows (no other guard was seen taking it since). */
  private wasLeader = false;
  private readonly host = bastionName();

  constructor(private readonly o: LeadershipOptions) {}

  /** First attempt awaited (so a guard alone leads at once), then every third of the lease. */
  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => {
      if (!this.ticking) this.ticking = this.tick().finally(() => (this.ticking = null));
    }, Math.max(200, Math.floor(this.o.leaseMs / 3)));
  }

  get leading(): boolean {
    return this.token !== null && performance.now() - this.validFrom < this.o.leaseMs * 0.8;
  }

  /**
   * Whether this guard sends the plan's notifications: while it leads, and while it cannot reach
   * the store after leading last (nobody else is known to have taken over); a standby never does,
   * or every notification would go out once per bastion.
   */
  notifies(): boolean {
    return this.leading || (this.wasLeader && this.lastError !== null);
  }

  /** Why this guard cannot reach the store now (its last round failed), or null. */
  storeLost(): string | null {
    return this.lastError;
  }

  /** null when this guard may act; otherwise why not. */
  notActing(): string | null {
    if (this.leading) return null;
    if (this.token !== null) {
      return `this guard has lost the store: its leadership lease was not renewed for ${Math.round((performance.now() - this.validFrom) / 1000)} s (${this.lastError ?? `${this.o.store.target} does not answer`}); it does not act until it reconnects and holds the lease`;
    }
    if (this.lastError) return `this guard has lost the store (${this.lastError}): it does not act until it reconnects and holds the leadership lease`;
    return `this guard stands by: another guard leads this plan (see \`flightdeck status\`); promote, roll back and sign off through the leader`;
  }

  /** One round, given at most a third of the lease: a database that does not answer counts as lost. */
  private async tick(): Promise<void> {
    if (this.stopped) return;
    let timer: NodeJS.Timeout | undefined;
    const limit = Math.max(500, Math.floor(this.o.leaseMs / 3));
    try {
      await Promise.race([
        this.round(),
        new Promise<void>((_, reject) => {
          timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${limit} ms`), { code: 'ETIMEDOUT' })), limit);
        }),
      ]);
    } catch (err) {
      this.failed(err);
    } finally {
      clearTimeout(timer);
    }
  }

  private failed(err: unknown): void {
    const why = `${this.o.store.target} ${describeDbFailure(err, '')}`;
    if (this.lastError !== why) this.o.log(`leadership: ${why}`);
    this.lastError = why;
    if (this.token !== null && !this.leading) this.lose(`the lease could not be renewed: ${why}`);
  }

  private async round(): Promise<void> {
    const { sql, key } = this.o.store;
    const sent = performance.now();
    const ms = this.o.leaseMs;
    try {
      await this.o.store.ready();
      if (this.token !== null) {
        const rows = await sql`update flightdeck_lease set renewed_at = now(), expires_at = now() + ${ms} * interval '1 millisecond'
                               where plan_key = ${key} and token = ${this.token.toString()} returning token`;
        if (rows.length === 1) this.validFrom = sent;
        else this.lose('another guard took the leadership lease');
      }
      if (this.token === null) {
        const rows = await sql<{ token: string }[]>`
          insert into flightdeck_lease (plan_key, token, guard_id, host, pid, state_dir, acquired_at, renewed_at, expires_at)
          values (${key}, nextval('flightdeck_fence'), ${this.id}, ${this.host}, ${process.pid}, ${this.o.stateDir}, now(), now(), now() + ${ms} * interval '1 millisecond')
          on conflict (plan_key) do update set token = excluded.token, guard_id = excluded.guard_id, host = excluded.host, pid = excluded.pid,
            state_dir = excluded.state_dir, acquired_at = now(), renewed_at = now(), expires_at = excluded.expires_at
          where flightdeck_lease.expires_at < now()
          returning token::text as token`;
        if (rows[0]) {
          this.token = BigInt(rows[0].token);
          this.validFrom = sent;
          this.o.store.leaseToken = this.token;
          this.wasLeader = true;
          this.o.log(`leading (lease token ${this.token}, lease ${ms} ms)`);
          this.o.onLead?.(this.token);
        }
      }
      // Another guard holds the lease: it notifies, not this one.
      if (this.token === null) this.wasLeader = false;
      await sql`insert into flightdeck_guards (plan_key, guard_id, host, pid, state_dir, role, seen_at)
                values (${key}, ${this.id}, ${this.host}, ${process.pid}, ${this.o.stateDir}, ${this.token !== null ? 'leader' : 'standby'}, now())
                on conflict (plan_key, guard_id) do update set role = excluded.role, seen_at = now()`;
      if (this.lastError) this.o.log(`store reachable again`);
      this.lastError = null;
    } catch (err) {
      this.failed(err);
    }
  }

  private lose(why: string): void {
    if (this.token === null) return;
    this.o.log(`no longer leading: ${why}`);
    this.token = null;
    this.o.store.leaseToken = null;
    this.o.onLose?.(why);
  }

  /** Leader and standbys as the database has them (lease age by the database clock); within a second, or without them. */
  async view(): Promise<LeaseView> {
    const base = { role: this.leading ? ('leader' as const) : ('standby' as const), self: this.id, notActing: this.notActing(), leaseMs: this.o.leaseMs };
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<LeaseView>((resolve) => {
      timer = setTimeout(() => resolve({ ...base, leader: null, standbys: [] }), 1_000);
    });
    try {
      return await Promise.race([this.read(base), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async read(base: Pick<LeaseView, 'role' | 'self' | 'notActing' | 'leaseMs'>): Promise<LeaseView> {
    const { sql, key } = this.o.store;
    try {
      const [l] = await sql<{ guard_id: string; host: string; pid: number; state_dir: string; token: string; renewed: number; acquired: number; live: boolean }[]>`
        select guard_id, host, pid, state_dir, token::text as token, extract(epoch from now() - renewed_at) * 1000 as renewed,
               extract(epoch from now() - acquired_at) * 1000 as acquired, expires_at > now() as live
        from flightdeck_lease where plan_key = ${key}`;
      const others = await sql<{ guard_id: string; host: string; pid: number; state_dir: string; seen: number }[]>`
        select guard_id, host, pid, state_dir, extract(epoch from now() - seen_at) * 1000 as seen from flightdeck_guards
        where plan_key = ${key} and seen_at > now() - ${this.o.leaseMs * 2} * interval '1 millisecond' order by guard_id`;
      const leader = l && l.live ? { id: l.guard_id, host: l.host, pid: l.pid, stateDir: l.state_dir, token: l.token, renewedAgoMs: Math.round(Number(l.renewed)), acquiredAgoMs: Math.round(Number(l.acquired)) } : null;
      return {
        ...base,
        leader,
        standbys: others.filter((g) => g.guard_id !== leader?.id).map((g) => ({ id: g.guard_id, host: g.host, pid: g.pid, stateDir: g.state_dir, seenAgoMs: Math.round(Number(g.seen)) })),
      };
    } catch {
      return { ...base, leader: null, standbys: [] };
    }
  }

  /** Stops trying; a leader gives the lease up at once so a standby takes over without waiting it out. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    const { sql, key } = this.o.store;
    try {
      if (this.token !== null) await sql`delete from flightdeck_lease where plan_key = ${key} and token = ${this.token.toString()}`;
      await sql`delete from flightdeck_guards where plan_key = ${key} and guard_id = ${this.id}`;
    } catch {
      // the database is away: the lease runs out by itself
    }
    this.token = null;
  }
}
