/**
 * Who is asking, as the guard verifies it — never a name the client merely
 * claims. Node has no SO_PEERCRED, so the client proves its OS account with
 * a file: the guard hands out a one-time nonce, the client creates
 * `<proofDir>/<nonce>` (a sticky, world-writable directory, like /tmp)
 * holding the nonce, and the guard lstat()s it: a regular file with a single
 * link, holding that nonce, owned by uid U — only U (or root) can have made
 * it. Nobody can create a file owned by someone else, a symlink or a hard
 * link to another's file is refused, and the nonce is good once, for 30 s.
 * The SSH client address is what the client's environment says (recorded,
 * not verified).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, lstat, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AuditOperator } from '../audit/log.js';

const run = promisify(execFile);
const NONCE_TTL_MS = 30_000;

export interface VerifiedClient {
  uid: number;
  user: string;
  groups: string[];
  operator: AuditOperator;
}

export class ProofStore {
  private nonces = new Map<string, number>();
  constructor(readonly dir: string) {}

  async prepare(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o1777 });
    await chmod(this.dir, 0o1777).catch(() => undefined);
  }

  issue(): string {
    const now = Date.now();
    for (const [n, at] of this.nonces) if (now - at > NONCE_TTL_MS) this.nonces.delete(n);
    const nonce = randomBytes(16).toString('hex');
    this.nonces.set(nonce, now);
    return nonce;
  }

  /** The verified account behind a proof, or why it is refused. */
  async verify(nonce: string | undefined, sshClient: string | undefined): Promise<VerifiedClient | string> {
    if (!nonce || !/^[0-9a-f]{32}$/.test(nonce)) return 'no proof of identity';
    const at = this.nonces.get(nonce);
    this.nonces.delete(nonce); // good once
    if (at === undefined || Date.now() - at > NONCE_TTL_MS) return 'unknown or expired proof';
    const file = join(this.dir, nonce);
    try {
      const st = await lstat(file);
      if (!st.isFile() || st.nlink !== 1) return 'the proof is not a plain file';
      if ((await readFile(file, 'utf8')).trim() !== nonce) return 'the proof does not hold its nonce';
      const user = await userName(st.uid);
      const op: AuditOperator = { user, host: safeHost() };
      if (sshClient && /^[0-9a-f:.]+$/i.test(sshClient)) op.sshClient = sshClient;
      return { uid: st.uid, user, groups: await groupsOf(user), operator: op };
    } catch (err) {
      return `no proof file (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
    } finally {
      await rm(file, { force: true }).catch(() => undefined);
    }
  }
}

/** The client's side: creates the proof file for a nonce (the guard removes it). */
export async function createProof(dir: string, nonce: string): Promise<string> {
  const file = join(dir, nonce);
  await writeFile(file, `${nonce}\n`, { flag: 'wx', mode: 0o644 });
  return file;
}

/**
 * This process's own OS account (its uid, looked up; never the USER variable), for commands that act
 * in process, such as `state set`: the same `operators:` rule then applies without a guard.
 */
export async function localClient(sshClient: string | undefined): Promise<VerifiedClient> {
  const uid = process.getuid?.() ?? -1;
  const user = uid >= 0 ? await userName(uid) : 'unknown';
  const op: AuditOperator = { user, host: safeHost() };
  if (sshClient && /^[0-9a-f:.]+$/i.test(sshClient)) op.sshClient = sshClient;
  return { uid, user, groups: await groupsOf(user), operator: op };
}

/** Whether an account may act under the plan's `operators:` (absent: everyone who can reach the socket). */
export function mayAct(client: VerifiedClient, operators: string[] | undefined): boolean {
  if (!operators || operators.length === 0) return true;
  for (const o of operators) {
    if (o.startsWith('group:') ? client.groups.includes(o.slice(6)) : o === client.user) return true;
  }
  return false;
}

async function userName(uid: number): Promise<string> {
  try {
    const { stdout } = await run('getent', ['passwd', String(uid)]);
    const name = stdout.split(':')[0];
    if (name) return name;
  } catch {
    // no getent: read the file
  }
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[2] === String(uid) && f[0]) return f[0];
    }
  } catch {
    // none
  }
  return `uid ${uid}`;
}

async function groupsOf(user: string): Promise<string[]> {
  try {
    const { stdout } = await run('id', ['-Gn', user]);
    return stdout.trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

function safeHost(): string {
  try {
    return hostname() || 'localhost';
  } catch {
    return 'localhost';
  }
}
