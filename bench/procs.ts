/**
 * Child processes, temp dirs and tmux servers the bench starts, and the one
 * place that cleans them all up: at the end of a run, on failure, on
 * SIGINT/SIGTERM and (synchronously) at process exit.
 */
import { spawn, execFileSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/bench/). */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'flightdeck');
export const DIST_BENCH = join(ROOT, 'dist', 'bench');

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
const tmuxSockets = new Set<string>();
/** Closers of things started by helpers this module does not spawn itself (Prometheus). */
const closers = new Set<() => Promise<void>>();

/** Runs `close` at cleanup unless the returned function is called first (the thing was closed normally). */
export function onCleanup(close: () => Promise<void>): () => void {
  closers.add(close);
  return () => closers.delete(close);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function tempDir(prefix: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), `fd-bench-${prefix}-`));
  dirs.add(d);
  return d;
}

export function trackTmux(socket: string): void {
  tmuxSockets.add(socket);
}

export function killTmux(socket: string): void {
  tmuxSockets.delete(socket);
  try {
    execFileSync('/usr/bin/tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
  } catch {
    // no server left
  }
  // tmux leaves its socket file behind.
  rmSync(join(process.env['TMUX_TMPDIR'] ?? '/tmp', `tmux-${userInfo().uid}`, socket), { force: true });
}

/** Spawns and tracks a child; its output is kept (last 20 kB) for error messages. */
export function start(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess & { output(): string } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts }) as ChildProcess & { output(): string };
  children.add(child);
  let out = '';
  const keep = (b: Buffer) => (out = (out + b.toString('utf8')).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('exit', () => children.delete(child));
  child.once('error', () => children.delete(child));
  child.output = () => out;
  return child;
}

/** `node bin/flightdeck ARGS` as a tracked child. */
export function startFlightdeck(args: string[], opts: SpawnOptions = {}) {
  return start(process.execPath, [BIN, ...args], opts);
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited. */
export async function stop(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(t);
}

/** Resolves when the child exits with its code; rejects after `timeoutMs` (killing it). */
export function exited(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${child.spawnfile} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

let clockTicks: number | undefined;
/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat. */
export function clkTck(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: fields after the closing paren.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return (utime + stime) / clkTck();
}

/** Resident set size of a process in MB, from /proc/<pid>/status. */
export function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

export function alive(pid: number): boolean {
  return existsSync(`/proc/${pid}`);
}

/** Stops every tracked child and tmux server and removes every temp dir. */
export async function cleanupAll(): Promise<void> {
  for (const s of [...tmuxSockets]) killTmux(s);
  const pending = [...closers];
  closers.clear();
  await Promise.all(pending.map((c) => c().catch(() => undefined)));
  await Promise.all([...children].map((c) => stop(c).catch(() => undefined)));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}

/** Last resort at exit: no awaiting possible, so SIGKILL and synchronous removal. */
function cleanupSync(): void {
  for (const s of [...tmuxSockets]) killTmux(s);
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

let installed = false;
/** Cleans up on exit and on SIGINT/SIGTERM (then exits 130/143). */
export function installCleanupHandlers(): void {
  if (installed) return;
  installed = true;
  process.once('exit', cleanupSync);
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(sig, () => {
      process.stderr.write(`\nbench: ${sig}, cleaning up\n`);
      void cleanupAll().finally(() => process.exit(code));
    });
  }
}
