/**
 * Talking to a plan's guard over its Unix socket: undici with a unix-socket
 * connection. Commands carry the identity proof (see identity.ts).
 */
import { Client, Pool } from 'undici';
import type { LeaseView } from './leadership.js';
import { sshClientAddress } from '../audit/log.js';
import { createProof } from './identity.js';

export interface GuardStatus {
  pid: number;
  plan: string;
  service: string;
  stage: string;
  stageStatus: string;
  rolledBack: boolean;
  gates: Record<string, number>;
  action: { kind: string; operator: string; runningMs: number; lastLine?: string } | null;
  cockpits: number;
  uptimeMs: number;
  /** Why the guard is stopping (it waits for a running action first), or null. */
  stopping?: string | null;
  /** Several bastions on PostgreSQL: who leads, who stands by, the lease's age. */
  leadership?: LeaseView;
}

export interface CommandAnswer {
  ok: boolean;
  refused?: string;
  summary?: string;
  steps?: Array<{ name: string; status: string; exitCode: number | null; note?: string }>;
  error?: string;
  /** The stream line that shows the state this answer was given on. */
  seq?: number;
}

/** Connections a client may open at once: a promote or rollback holds one until the action has ended. */
const CONNECTIONS = 4;

export class GuardClient {
  private readonly client: Pool;
  constructor(readonly socket: string) {
    // No timeouts on bodies: a rollback answers when it has ended. A pool, not one connection: a
    // command waiting for its action must not hold up the next one (a stop, a sign-off, a refresh
    // from the same cockpit) behind it.
    this.client = new Pool('http://guard', { socketPath: socket, bodyTimeout: 0, headersTimeout: 0, connections: CONNECTIONS });
  }

  async status(): Promise<GuardStatus> {
    return (await this.getJson('/status', 5_000)) as GuardStatus;
  }

  /** Sends a command as this process's OS account (proved, not claimed). */
  async command(command: string, args: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = process.env): Promise<CommandAnswer> {
    const { nonce, dir } = (await this.getJson('/challenge', 5_000)) as { nonce: string; dir: string };
    await createProof(dir, nonce);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-flightdeck-proof': nonce };
    const ssh = sshClientAddress(env);
    if (ssh) headers['x-flightdeck-ssh-client'] = ssh;
    const res = await this.client.request({ path: '/command', method: 'POST', headers, body: JSON.stringify({ command, ...args }) });
    const text = await res.body.text();
    try {
      return JSON.parse(text) as CommandAnswer;
    } catch {
      return { ok: false, error: `the guard answered ${res.statusCode}: ${text.slice(0, 200)}` };
    }
  }

  /** Streams the guard's NDJSON lines until the stream ends or `signal` aborts. */
  async stream(onLine: (msg: Record<string, unknown>) => void, signal?: AbortSignal): Promise<void> {
    // Its own connection: a never-ending response would hold up every command queued behind it.
    const own = new Client('http://guard', { socketPath: this.socket, bodyTimeout: 0, headersTimeout: 0 });
    try {
      const res = await own.request({ path: '/events', method: 'GET', signal });
      let buf = '';
      for await (const chunk of res.body) {
        buf += (chunk as Buffer).toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim()) onLine(JSON.parse(line) as Record<string, unknown>);
        }
      }
    } finally {
      await own.destroy().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.client.destroy().catch(() => undefined);
  }

  private async getJson(path: string, timeoutMs: number): Promise<unknown> {
    const res = await this.client.request({ path, method: 'GET', signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`the guard answered ${res.statusCode} to ${path}: ${text.slice(0, 200)}`);
    return JSON.parse(text);
  }
}
