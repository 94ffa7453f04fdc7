/**
 * A guard's control endpoint: HTTP over a Unix socket (mode 0600, or 0660
 * when the plan's group may share it).
 *   GET  /status     what `flightdeck status` shows (JSON)
 *   GET  /events     NDJSON: a snapshot (state + extras), then every engine
 *                    event and, at most every 200 ms, the state when it changed;
 *                    every line carries `seq`, the number of lines broadcast so far
 *   GET  /challenge  a one-time nonce and the directory for the identity proof
 *   POST /command    {command: refresh|promote|rollback|signoff|stop, ...}
 *                    with `x-flightdeck-proof: <nonce>`; promote and rollback
 *                    answer when the action has ended; an answer's `seq` is the
 *                    stream line that shows the state it answers on (a client
 *                    that has read that far sees what the answer tells)
 * Everything that changes the rollout goes through this one guard (one writer).
 */
import { chmod, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AuditOperator } from '../audit/log.js';
import type { Session } from '../session/session.js';
import type { LeaseView } from './leadership.js';
import { runCommand, type CommandResult, type RoutedCommand } from './commands.js';
import { mayAct, ProofStore, type VerifiedClient } from './identity.js';

export interface ControlOptions {
  socket: string;
  session: Session;
  proofDir: string;
  operators?: string[];
  groupShare?: boolean;
  startedAt: number;
  planFile: string;
  /** Asked to stop by an operator (verified), from `guard stop` or a cockpit's quit dialog (`from`). */
  onStop(by: AuditOperator, from: string): void;
  log(line: string): void;
  /** Several bastions (PostgreSQL store): leader, standbys and lease age, for `flightdeck status`. */
  leadership?: () => Promise<LeaseView>;
  /**
   * Several bastions: null when this guard leads (it runs the command itself); otherwise the leader's
   * answer to the command handed to it through the store, or why no leader could take it.
   */
  route?: (cmd: RoutedCommand, body: Record<string, unknown>, op: AuditOperator) => Promise<CommandResult | null>;
}

export interface ControlServer {
  cockpits(): number;
  /** The guard is stopping (why): `status` says so while it waits for a running action. */
  markStopping(why: string): void;
  close(): Promise<void>;
}

const STATE_EVERY_MS = 200;
const BODY_MAX = 64 * 1024;

export async function startControlServer(o: ControlOptions): Promise<ControlServer> {
  const proofs = new ProofStore(o.proofDir);
  await proofs.prepare();
  const streams = new Set<ServerResponse>();
  const session = o.session;
  const engine = session.engine;

  const snapshot = () => ({ state: engine.getState(), extras: session.extras() });
  let dirty = false;
  let timer: NodeJS.Timeout | undefined;
  let seq = 0;
  const broadcast = (obj: object): void => {
    const line = `${JSON.stringify({ ...obj, seq: ++seq })}\n`;
    for (const s of streams) s.write(line);
  };
  const flushState = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!dirty) return;
    dirty = false;
    broadcast({ type: 'state', ...snapshot() });
  };
  const unsubEvents = engine.on((e) => broadcast({ type: 'event', event: e }));
  const markDirty = (): void => {
    dirty = true;
    timer ??= setTimeout(flushState, STATE_EVERY_MS);
  };
  const unsubState = engine.subscribe(markDirty);
  const unsubSession = session.subscribe(markDirty);

  let stopping: string | null = null;
  const status = async () => {
    const st = engine.getState();
    const stage = st.stages[st.stageIndex]!;
    const count = (s: string) => st.gates.filter((g) => g.state === s).length;
    const gates = ['ok', 'warn', 'pending', 'failing', 'error', 'no data'].map((s) => [s, count(s)] as const).filter(([, n]) => n > 0);
    const action = session.actionRunning;
    return {
      pid: process.pid,
      plan: o.planFile,
      service: st.service,
      stage: stage.id,
      stageStatus: stage.status,
      rolledBack: st.rolledBack,
      gates: Object.fromEntries(gates),
      action: action ? { kind: action.kind, operator: action.operator, runningMs: Math.max(0, engine.getState().now - action.startedAt), lastLine: action.lastLine } : null,
      cockpits: streams.size,
      uptimeMs: Date.now() - o.startedAt,
      stopping,
      ...(o.leadership ? { leadership: await o.leadership() } : {}),
    };
  };

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { error: (err as Error).message });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://guard');
    if (req.method === 'GET' && url.pathname === '/status') return json(res, 200, await status());
    if (req.method === 'GET' && url.pathname === '/challenge') return json(res, 200, { nonce: proofs.issue(), dir: proofs.dir });
    if (req.method === 'GET' && url.pathname === '/events') {
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
      res.write(`${JSON.stringify({ type: 'snapshot', ...snapshot(), seq })}\n`);
      streams.add(res);
      session.note({ text: `a cockpit attached (${streams.size} now)` });
      const gone = () => {
        if (streams.delete(res)) session.note({ text: `a cockpit detached (${streams.size} left)` });
      };
      req.on('close', gone);
      res.on('error', gone);
      return;
    }
    if (req.method === 'POST' && url.pathname === '/command') return command(req, res);
    return json(res, 404, { error: `no ${req.method} ${url.pathname}` });
  }

  /**
   * A command's answer, sent after the state it answers on: the pending state goes out on the
   * stream first, and the answer names that line, so an attached cockpit that shows the answer
   * (an action's outcome) shows the state after it too (nothing running), not the one before.
   */
  function answer(res: ServerResponse, body: object, status = 200): void {
    flushState();
    json(res, status, { ...body, seq });
  }

  async function command(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    } catch (err) {
      return json(res, 400, { error: `bad request: ${(err as Error).message}` });
    }
    const cmd = String(body.command ?? '');
    if (!['refresh', 'promote', 'rollback', 'signoff', 'stop'].includes(cmd)) return json(res, 400, { error: `unknown command ${cmd}` });
    if (cmd === 'refresh') {
      session.refresh();
      return answer(res, { ok: true });
    }
    const who = await proofs.verify(header(req, 'x-flightdeck-proof'), header(req, 'x-flightdeck-ssh-client'));
    if (typeof who === 'string') {
      o.log(`${cmd} refused: ${who}`);
      return json(res, 401, { ok: false, refused: `who you are could not be verified: ${who}` });
    }
    if (!mayAct(who, o.operators)) {
      const why = `${who.user} is not one of the plan's operators (${o.operators!.join(', ')})`;
      o.log(`${cmd} refused: ${why}`);
      await session.refuseCommand(cmd, why, who.operator);
      return answer(res, { ok: false, refused: why }, 403);
    }
    return act(cmd, body, who, res);
  }

  async function act(cmd: string, body: Record<string, unknown>, who: VerifiedClient, res: ServerResponse): Promise<void> {
    const reason = typeof body.reason === 'string' ? body.reason : undefined;
    o.log(`${cmd} asked by ${who.user}${reason ? `: ${reason}` : ''}`);
    if (cmd === 'stop') {
      const from = body.from === 'cockpit' ? 'a cockpit\'s quit dialog' : 'flightdeck guard stop';
      answer(res, { ok: true });
      o.onStop(who.operator, from);
      return;
    }
    // Several bastions: a guard that does not lead hands the command to the one that does.
    const routed = o.route ? await o.route(cmd as RoutedCommand, body, who.operator) : null;
    if (routed) {
      // Nothing ran anywhere: the refusal is this guard's to show and audit (the leader audits what it answers).
      if (!routed.ok && routed.refused?.startsWith('no leader reachable')) await session.refuseCommand(cmd, routed.refused, who.operator);
      return answer(res, routed);
    }
    return answer(res, { ...(await runCommand(session, cmd as RoutedCommand, body, who.operator)) });
  }

  await rm(o.socket, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Created private, then opened to the group when asked: no moment where others can connect.
    const old = process.umask(0o177);
    server.listen(o.socket, () => {
      process.umask(old);
      resolve();
    });
  });
  await chmod(o.socket, o.groupShare ? 0o660 : 0o600);

  return {
    cockpits: () => streams.size,
    markStopping(why) {
      stopping = why;
    },
    async close() {
      unsubEvents();
      unsubState();
      unsubSession();
      if (timer) clearTimeout(timer);
      for (const s of streams) s.end(`${JSON.stringify({ type: 'bye', reason: 'the guard stopped' })}\n`);
      streams.clear();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await rm(o.socket, { force: true });
    },
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > BODY_MAX) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8') || '{}'));
    req.on('error', reject);
  });
}
