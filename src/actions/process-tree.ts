/**
 * Running one command as its own process group (execa, argv, no shell), its
 * output read line by line, and killed as a group on timeout or abort:
 * SIGTERM to every process in the group, then SIGKILL once the grace has
 * passed with any of them still running. Children and grandchildren go too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Clock } from '../clock.js';
import { formatDuration } from '../duration.js';

export interface ProcessOptions {
  cwd: string;
  /** The whole environment of the process (nothing else is inherited). */
  env: Record<string, string>;
  timeoutMs: number;
  graceMs: number;
  clock: Clock;
  signal?: AbortSignal | undefined;
  onLine(stream: 'stdout' | 'stderr', text: string): void;
  /** The runner's own notes (kills). */
  onNote(text: string): void;
  /** The started process's pid, which is also its process group id. */
  onSpawn?: ((pid: number) => void) | undefined;
}

export interface ProcessOutcome {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  aborted: boolean;
  /** Could not start: "cannot start ./x.sh: ENOENT". */
  error?: string;
}

export async function runProcess(argv: string[], opts: ProcessOptions): Promise<ProcessOutcome> {
  const [file, ...args] = argv;
  if (!file) return { exitCode: null, signal: null, timedOut: false, aborted: false, error: 'empty command' };
  if (opts.signal?.aborted) return { exitCode: null, signal: null, timedOut: false, aborted: true };

  // execa loads when the first action runs, not when the cockpit starts.
  const { execa } = await import('execa');
  const sub = execa(file, args, {
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: false,
    detached: true,
    stdin: 'ignore',
    buffer: false,
    reject: false,
    stripFinalNewline: false,
  });
  const pid = sub.pid;
  if (pid !== undefined) opts.onSpawn?.(pid);
  const lines = Promise.all([readLines(sub.stdout, (t) => opts.onLine('stdout', t)), readLines(sub.stderr, (t) => opts.onLine('stderr', t))]);

  let reason: 'timeout' | 'abort' | undefined;
  let termination: Promise<void> | undefined;
  let exited = false;
  const terminate = (why: 'timeout' | 'abort'): void => {
    if (termination || exited || pid === undefined) return;
    reason = why;
    termination = killGroupGracefully(pid, why, opts).then(async () => {
      // Something outside the group (it called setsid) may still hold our pipes: stop reading after a moment.
      for (let i = 0; i < 20 && !exited; i++) await opts.clock.sleep(50);
      if (!exited) {
        opts.onNote('output still open after the process group was killed: closing it');
        sub.stdout?.destroy();
        sub.stderr?.destroy();
      }
    });
  };
  const timer = opts.clock.setTimeout(() => terminate('timeout'), opts.timeoutMs);
  const onAbort = (): void => terminate('abort');
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    const result = await sub;
    await lines; // a grandchild may hold stdout open: the timeout still applies until it closes
    exited = true;
    if (termination) await termination;
    const base = { timedOut: reason === 'timeout', aborted: reason === 'abort' };
    if (pid === undefined || (result.failed && result.exitCode === undefined && !result.signal)) {
      const code = (result as { code?: string }).code ?? result.originalMessage ?? 'failed';
      return { exitCode: null, signal: null, ...base, error: `cannot start ${file}: ${code}` };
    }
    return { exitCode: result.exitCode ?? null, signal: result.signal ?? null, ...base };
  } finally {
    opts.clock.clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

async function killGroupGracefully(pgid: number, why: 'timeout' | 'abort', opts: ProcessOptions): Promise<void> {
  opts.onNote(`${why === 'timeout' ? `timed out after ${formatDuration(opts.timeoutMs)}` : 'aborted'}: sending SIGTERM to the process group`);
  killGroup(pgid, 'SIGTERM');
  const deadline = opts.clock.now() + opts.graceMs;
  while (groupAlive(pgid) && opts.clock.now() < deadline) {
    await opts.clock.sleep(Math.min(50, deadline - opts.clock.now()));
  }
  if (!groupAlive(pgid)) return;
  opts.onNote(`still running ${formatDuration(opts.graceMs)} after SIGTERM: sending SIGKILL to the process group`);
  killGroup(pgid, 'SIGKILL');
  for (let i = 0; i < 40 && groupAlive(pgid); i++) await opts.clock.sleep(25);
}

/** Sends a signal to every process of a group; a group that is gone already is fine. */
export function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * Whether any process of the group is still running. Zombies (exited, not yet
 * reaped by their parent or by init) do not count. Uses /proc where there is
 * one, otherwise kill(-pgid, 0).
 */
export function groupAlive(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const st = readStat(Number(name));
    if (st && st.pgrp === pgid && st.state !== 'Z' && st.state !== 'X') return true;
  }
  return false;
}

function readStat(pid: number): { state: string; pgrp: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] ?? '', pgrp: Number(rest[2]) };
  } catch {
    return undefined;
  }
}

function readLines(stream: Readable | null | undefined, onLine: (text: string) => void): Promise<void> {
  if (!stream) return Promise.resolve();
  return new Promise((resolve) => {
    const rl = createInterface({ input: stream, crlfDelay: Infinity });
    rl.on('line', onLine);
    rl.on('close', () => resolve());
    stream.on('error', () => resolve());
    stream.on('close', () => resolve());
  });
}
