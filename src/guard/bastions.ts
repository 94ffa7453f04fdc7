/**
 * Several bastions on the PostgreSQL store: what goes between the leading
 * guard and its standbys, through the database (no socket of one bastion is
 * reachable from another).
 *
 *  - Live mirror (LISTEN/NOTIFY on one channel, payloads naming the plan's
 *    key): the leader NOTIFYs each engine event worth showing (an action's
 *    start, output and end, a refusal, an override, a sign-off, its own
 *    warnings) and the store NOTIFYs each rollout-state write. A standby
 *    re-emits the leader's events on its own engine (so its cockpits show
 *    them), shows the leader's running action as running, applies sign-offs,
 *    and takes the stage from the store when told it changed. Nothing polls
 *    the database for this: a standby reads the state once per NOTIFY (and once
 *    each time its LISTEN connection is made, for what it missed meanwhile).
 *  - Commands: a promote, rollback, override or sign-off asked of a standby
 *    (its cockpits, `flightdeck promote|rollback` on its bastion) is written to
 *    flightdeck_commands; the leader claims it with its lease token (only while
 *    that token is the live lease), runs it on its session as the account the
 *    standby verified, and writes the answer. The standby waits for the answer
 *    (woken by NOTIFY; it also looks once every half lease, to see a leader that
 *    died mid-action). No live lease, or no leader taking it within the claim
 *    time: "no leader reachable", the row is withdrawn and nothing runs.
 */
import type { AuditOperator } from '../audit/log.js';
import type { EngineEvent } from '../engine/types.js';
import type { Session } from '../session/session.js';
import { CHANNEL, describeDbFailure, type PostgresStore } from '../store/postgres.js';
import { runCommand, ROUTED, type CommandResult, type RoutedCommand } from './commands.js';
import type { Leadership } from './leadership.js';

export interface BastionsOptions {
  store: PostgresStore;
  leadership: Leadership;
  leaseMs: number;
  /** The guard's session, once it is open. */
  session(): Session | null;
  log(line: string): void;
}

/** The events a standby shows as its leader's. */
const MIRRORED = new Set(['action.started', 'action.output', 'action.finished', 'action.refused', 'override', 'signoff', 'session.note']);
/** A NOTIFY payload must stay under 8000 bytes. */
const PAYLOAD_MAX = 7_500;
const OUTPUT_MAX = 2_000;

type Message =
  | { k: string; t: 'event'; g: string; host: string; pid: number; e: EngineEvent }
  | { k: string; t: 'state'; pid: number }
  | { k: string; t: 'cmd' | 'claimed' | 'answer'; id: string };

/** The promise's value, or an ETIMEDOUT error after `ms`. */
async function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: 'ETIMEDOUT' })), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export class Bastions {
  private unlisten: (() => Promise<void>) | null = null;
  private sending: Promise<unknown> = Promise.resolve();
  private waiters = new Map<string, Set<() => void>>();
  private claiming = false;
  private claimAgain = false;
  private running = new Set<Promise<void>>();
  private stopped = false;
  private readonly host: string;

  constructor(private readonly o: BastionsOptions) {
    this.host = o.leadership.id.split(':')[0] ?? 'unknown';
  }

  /** How long a command waits for a leader to take it before it is withdrawn. */
  get claimMs(): number {
    return Math.max(3_000, this.o.leaseMs);
  }

  /**
   * LISTENs (the client keeps one connection for it and listens again after a reconnect). A database
   * away at start is tried again every lease until it answers; said once.
   */
  async start(): Promise<void> {
    const { sql } = this.o.store;
    while (!this.stopped) {
      try {
        await this.o.store.ready();
        const req = await sql.listen(
          CHANNEL,
          (payload) => this.receive(payload),
          () => this.connected(),
        );
        this.unlisten = () => req.unlisten();
        if (this.said) this.o.log('listening for the other bastions again');
        return;
      } catch (err) {
        if (!this.said) this.o.log(`cannot LISTEN for the other bastions yet (${this.o.store.target} ${describeDbFailure(err, '')}): standbys do not mirror live until it answers; tried again every lease`);
        this.said = true;
        if (this.firstTry) {
          // The guard's start-up does not wait for the database: the rest is tried in the background.
          this.firstTry = false;
          void this.retryLater();
          return;
        }
        await new Promise((r) => setTimeout(r, this.o.leaseMs));
      }
    }
  }

  private firstTry = true;
  private said = false;

  private async retryLater(): Promise<void> {
    await new Promise((r) => setTimeout(r, this.o.leaseMs));
    await this.start();
  }

  /** The leader's engine event, sent to the standbys (in order; dropped while the database is away). */
  publish(e: EngineEvent): void {
    // Not queued while the store is away: each would wait for a connection the guard's own work needs
    // (standbys take the position from the store once they reconnect).
    if (this.stopped || !MIRRORED.has(e.type) || !this.o.leadership.leading || this.o.leadership.storeLost()) return;
    // The notes a cockpit's attaching makes on the leader are its own business.
    if (e.type === 'session.note' && /^a cockpit (at|de)tached/.test(e.text)) return;
    let ev: EngineEvent = e;
    if (ev.type === 'action.output' && ev.text.length > OUTPUT_MAX) ev = { ...ev, text: `${ev.text.slice(0, OUTPUT_MAX)}…` };
    let payload = JSON.stringify({ k: this.o.store.key, t: 'event', g: this.o.leadership.id, host: this.host, pid: process.pid, e: ev });
    if (payload.length > PAYLOAD_MAX) {
      const short: EngineEvent = { type: 'session.note', at: e.at, topic: 'info', level: 'info', text: `${e.type} (too long to mirror: see the leader's log)` };
      payload = JSON.stringify({ k: this.o.store.key, t: 'event', g: this.o.leadership.id, host: this.host, pid: process.pid, e: short });
    }
    this.send(payload);
  }

  private send(payload: string): void {
    const { sql } = this.o.store;
    this.sending = this.sending.then(() => sql.notify(CHANNEL, payload)).catch(() => undefined);
  }

  /** (Re)connected: a leader takes the commands asked meanwhile; a standby takes the position saved meanwhile. */
  private connected(): void {
    if (this.o.leadership.leading) void this.claimPending();
    else void this.o.session()?.follow().catch(() => undefined);
  }

  /** This guard became the leader: commands already asked of it are taken. */
  onLead(): void {
    void this.claimPending();
  }

  private receive(payload: string): void {
    let m: Message;
    try {
      m = JSON.parse(payload) as Message;
    } catch {
      return;
    }
    if (m.k !== this.o.store.key) return;
    if (m.t === 'cmd') {
      if (this.o.leadership.leading) void this.claimPending();
      return;
    }
    if (m.t === 'claimed' || m.t === 'answer') {
      for (const w of this.waiters.get(m.id) ?? []) w();
      return;
    }
    if (this.o.leadership.leading) return; // the leader writes the state and makes the events
    const session = this.o.session();
    if (!session) return;
    if (m.t === 'state') {
      void session.follow().catch(() => undefined);
      return;
    }
    if (m.t === 'event' && m.g !== this.o.leadership.id) this.mirror(session, m);
  }

  /** One of the leader's events, on this standby. */
  private mirror(session: Session, m: Extract<Message, { t: 'event' }>): void {
    const { at: _at, ...e } = m.e as EngineEvent & { at: number };
    const engine = session.engine;
    const clock = engine.getState().now;
    switch (e.type) {
      case 'signoff':
        // The sign-off is applied here too (a sign-off gate's state), not only shown.
        engine.dispatch({ type: 'signoff', gateId: e.gateId, operator: e.operator, note: e.note });
        return;
      case 'session.note':
        engine.emit({ ...e, text: `leader (${m.host} pid ${m.pid}): ${e.text}` });
        return;
      case 'action.started':
        session.showRemoteAction({ kind: e.auto ? `auto-${e.action}` : e.action, operator: e.operator, startedAt: clock, lastLine: `run by the leader (${m.host} pid ${m.pid})` });
        break;
      case 'action.output': {
        const r = session.actionRunning;
        if (r) session.showRemoteAction({ ...r, lastLine: e.text });
        break;
      }
      case 'action.finished':
        session.showRemoteAction(null);
        break;
      default:
        break;
    }
    engine.emit(e as Parameters<typeof engine.emit>[0]);
    if (e.type === 'action.finished') void session.follow().catch(() => undefined);
  }

  // ------------------------------------------------------------------ commands, standby side

  /**
   * A command asked of this guard: null when it leads (it runs it itself); otherwise the leader's
   * answer, or why no leader took it (then nothing ran).
   */
  async route(cmd: RoutedCommand, body: Record<string, unknown>, op: AuditOperator): Promise<CommandResult | null> {
    if (!ROUTED.includes(cmd) || this.o.leadership.leading) return null;
    const { sql, key, target } = this.o.store;
    // This guard cannot reach the store: it cannot reach the leader either (said at once, not after a timeout).
    const lost = this.o.leadership.storeLost();
    if (lost) return { ok: false, refused: `no leader reachable: this guard has lost the store (${lost}); nothing was done` };
    let id: string;
    let leader: { token: string; host: string; pid: number; state_dir: string };
    try {
      // Bounded: a database that does not answer is no way to the leader (nothing is written yet).
      const [l] = await within(
        Math.max(1_000, Math.floor(this.o.leaseMs / 3)),
        sql<{ token: string; host: string; pid: number; state_dir: string }[]>`
          select token::text as token, host, pid, state_dir from flightdeck_lease where plan_key = ${key} and expires_at > now()`,
      );
      if (!l) return { ok: false, refused: `no leader reachable: no guard holds the lease of this plan now (${target}); nothing was done — start a guard, or wait for a standby to take over` };
      leader = l;
      const [row] = await sql<{ id: string }[]>`
        insert into flightdeck_commands (plan_key, command, args, operator, asked_by)
        values (${key}, ${cmd}, ${sql.json(body as never)}, ${sql.json(op as never)}, ${this.o.leadership.id}) returning id::text as id`;
      id = row!.id;
    } catch (err) {
      return { ok: false, refused: `no leader reachable: ${target} ${describeDbFailure(err, '')}; nothing was done` };
    }
    this.o.log(`${cmd} by ${op.user} handed to the leader (${leader.host} pid ${leader.pid}) as command ${id}`);
    this.send(JSON.stringify({ k: key, t: 'cmd', id }));
    const where = `the leader (${leader.host} pid ${leader.pid}, ${leader.state_dir})`;
    const claimBy = Date.now() + this.claimMs;
    let lostSince: number | null = null;
    for (;;) {
      try {
        const [r] = await sql<{ claimed: string | null; answer: CommandResult | null }[]>`
          select claimed_token::text as claimed, answer from flightdeck_commands where id = ${id}`;
        lostSince = null;
        if (r?.answer) return r.answer;
        if (!r || r.claimed === null) {
          if (Date.now() >= claimBy) {
            const gone = await sql`delete from flightdeck_commands where id = ${id} and claimed_token is null returning id`;
            if (gone.length) return { ok: false, refused: `no leader reachable: ${where} did not take the ${cmd} within ${Math.round(this.claimMs / 1000)} s; nothing was done` };
            continue; // taken just now
          }
        } else {
          const [l] = await sql<{ token: string }[]>`select token::text as token from flightdeck_lease where plan_key = ${key} and expires_at > now()`;
          if (l?.token !== r.claimed) {
            const [again] = await sql<{ answer: CommandResult | null }[]>`select answer from flightdeck_commands where id = ${id}`;
            if (again?.answer) return again.answer;
            return { ok: false, refused: `the leader that took this ${cmd} (lease token ${r.claimed}) lost its lease before it answered: outcome unknown — see \`flightdeck audit\` and \`flightdeck status\`` };
          }
        }
        await this.until(id, r?.claimed ? Math.max(500, this.o.leaseMs / 2) : Math.min(500, Math.max(0, claimBy - Date.now())));
      } catch (err) {
        lostSince ??= Date.now();
        if (Date.now() - lostSince > 2 * this.o.leaseMs) {
          return { ok: false, refused: `lost ${target} while waiting for the leader's answer (${describeDbFailure(err, '')}): outcome unknown — see \`flightdeck audit\` once it answers` };
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** Waits for a NOTIFY about command `id`, at most `ms`. */
  private async until(id: string, ms: number): Promise<void> {
    let wake: () => void = () => undefined;
    const woken = new Promise<void>((r) => (wake = r));
    const set = this.waiters.get(id) ?? new Set();
    set.add(wake);
    this.waiters.set(id, set);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([woken, new Promise((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
    set.delete(wake);
    if (set.size === 0) this.waiters.delete(id);
  }

  // ------------------------------------------------------------------ commands, leader side

  /** Takes every open command of this plan, one at a time, while this guard's lease is the live one. */
  private async claimPending(): Promise<void> {
    if (this.claiming) {
      this.claimAgain = true;
      return;
    }
    this.claiming = true;
    const { sql, key } = this.o.store;
    try {
      do {
        this.claimAgain = false;
        for (;;) {
          const token = this.o.store.leaseToken;
          if (this.stopped || token === null || !this.o.leadership.leading) return;
          const [row] = await sql<{ id: string; command: string; args: Record<string, unknown>; operator: AuditOperator }[]>`
            update flightdeck_commands set claimed_token = ${token.toString()}, claimed_by = ${this.o.leadership.id}, claimed_at = now()
            where id = (select id from flightdeck_commands where plan_key = ${key} and claimed_token is null
                          and asked_at > now() - ${this.claimMs} * interval '1 millisecond' order by id limit 1 for update skip locked)
              and exists (select 1 from flightdeck_lease where plan_key = ${key} and token = ${token.toString()} and expires_at > now())
            returning id::text as id, command, args, operator`;
          if (!row) break;
          this.send(JSON.stringify({ k: key, t: 'claimed', id: row.id }));
          const p = this.execute(row).finally(() => this.running.delete(p));
          this.running.add(p);
        }
      } while (this.claimAgain);
    } catch (err) {
      this.o.log(`commands from other bastions not taken now: ${this.o.store.target} ${describeDbFailure(err, '')}`);
    } finally {
      this.claiming = false;
    }
  }

  private async execute(row: { id: string; command: string; args: Record<string, unknown>; operator: AuditOperator }): Promise<void> {
    const session = this.o.session();
    const op = row.operator;
    this.o.log(`${row.command} asked on another bastion by ${op.user}@${op.host} (command ${row.id})`);
    let answer: CommandResult;
    if (!session) answer = { ok: false, refused: 'the leader is still starting: ask again' };
    else if (!ROUTED.includes(row.command)) answer = { ok: false, refused: `unknown command ${row.command}` };
    else {
      try {
        answer = await runCommand(session, row.command as RoutedCommand, row.args, op);
      } catch (err) {
        answer = { ok: false, refused: (err as Error).message };
      }
    }
    const { sql, key } = this.o.store;
    for (let i = 0; i < 60; i++) {
      try {
        await sql`update flightdeck_commands set answer = ${sql.json(answer as never)}, answered_at = now() where id = ${row.id}`;
        this.send(JSON.stringify({ k: key, t: 'answer', id: row.id }));
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
    this.o.log(`the answer to command ${row.id} could not be written: its asker reports the outcome unknown`);
  }

  /** Stops listening; commands being run here are let finish (their answers written). */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.running]);
    await this.sending;
    await this.unlisten?.().catch(() => undefined);
  }
}
