/**
 * Running one command as its own process group (execa, argv, no shell), its
 * output read line by line, and killed as a group on timeout or abort:
 * SIGTERM to every process in the group, then SIGKILL once the grace has
 * passed with any of them still running. Children and grandchildren go too.
 *
 * The command ends when its main process exits. Its output is then drained
 * for a bounded time (a background child may hold the pipes open); whatever
 * it left running in its group is reported and, by default, killed the same
 * way (as systemd's KillMode=control-group does once a oneshot's main process
 * exits), or left running when the step says `leftovers: leave`.
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
  /** Called with the pid of the process once it runs: it leads its own process group (pgid = pid). */
  onSpawn?(pid: number): void;
  /**
   * Called with the group once its main process has exited and what it left there is left running on
   * purpose (`leftovers: leave`): the group is no longer the step's (a lock naming it must not hold on it).
   * The step ends once what it returns has settled (at most DISOWN_RECORD_MS): a flightdeck killed just
   * after must not leave a lock that the daemon, still carrying the holder's mark, holds forever.
   */
  onDisown?(pgid: number): void | Promise<void>;
  /** What to do with processes still running in the group after the main process exited (default kill). */
  leftovers?: LeftoverPolicy;
  /** How long output is read after the main process exited (default 1 s). */
  drainMs?: number;
}

export type LeftoverPolicy = 'kill' | 'leave';

/** Processes of the step's group still running after its main process exited. */
export interface Leftovers {
  processes: Array<{ pid: number; command: string }>;
  action: 'killed' | 'left running';
}

export const DEFAULT_DRAIN_MS = 1_000;
/** How long a step waits for its group to be recorded as left running (a store that is away must not hold the action). */
const DISOWN_RECORD_MS = 5_000;

export interface ProcessOutcome {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  aborted: boolean;
  /** Could not start: "cannot start ./x.sh: ENOENT". */
  error?: string;
  leftovers?: Leftovers;
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
  if (pid !== undefined) {
    try {
      opts.onSpawn?.(pid);
    } catch {
      // a listener's failure does not stop the step
    }
  }
  // The main process's own exit, not execa's promise: that one waits until every holder of the pipes has gone.
  const mainExit = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    // Node's own ChildProcess (execa 10 keeps it apart from its subprocess object).
    sub.nodeChildProcess.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let linesDone = false;
  const lines = Promise.all([readLines(sub.stdout, (t) => opts.onLine('stdout', t)), readLines(sub.stderr, (t) => opts.onLine('stderr', t))]).then(() => {
    linesDone = true;
  });
  const settled = sub.then(
    (r) => r,
    (err: unknown) => err as Awaited<typeof sub>,
  );

  let reason: 'timeout' | 'abort' | undefined;
  let termination: Promise<void> | undefined;
  let exited = false;
  const terminate = (why: 'timeout' | 'abort'): void => {
    if (termination || exited || pid === undefined) return;
    reason = why;
    termination = killGroupGracefully(pid, why === 'timeout' ? `timed out after ${formatDuration(opts.timeoutMs)}` : 'aborted', opts);
  };
  const timer = opts.clock.setTimeout(() => terminate('timeout'), opts.timeoutMs);
  const onAbort = (): void => terminate('abort');
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    const first = await Promise.race([mainExit.then((e) => ({ exit: e })), settled.then((r) => ({ result: r }))]);
    if ('result' in first && (pid === undefined || (first.result.failed && first.result.exitCode === undefined && !first.result.signal))) {
      const r = first.result as { code?: string; originalMessage?: string };
      return { exitCode: null, signal: null, timedOut: false, aborted: false, error: `cannot start ${file}: ${r.code ?? r.originalMessage ?? 'failed'}` };
    }
    const exit = 'exit' in first ? first.exit : { code: first.result.exitCode ?? null, signal: first.result.signal ?? null };
    exited = true;
    opts.clock.clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    if (termination) await termination;
    if (!linesDone) await within(lines, opts.drainMs ?? DEFAULT_DRAIN_MS, opts.clock);
    const out: ProcessOutcome = { exitCode: exit.code, signal: exit.signal, timedOut: reason === 'timeout', aborted: reason === 'abort' };
    const left = pid === undefined ? [] : groupMembers(pid);
    if (left.length > 0) {
      const list = left.map((p) => `${p.pid} ${p.command}`).join(', ');
      const n = `${left.length} process${left.length === 1 ? '' : 'es'}`;
      if ((opts.leftovers ?? 'kill') === 'kill') {
        opts.onNote(`the step's main process exited; ${n} left behind in its process group: ${list}`);
        await killGroupGracefully(pid!, 'left behind', opts);
        out.leftovers = { processes: left, action: 'killed' };
        if (!linesDone) await within(lines, 200, opts.clock);
      } else {
        opts.onNote(`the step's main process exited; ${n} left running in its process group (leftovers: leave): ${list}`);
        out.leftovers = { processes: left, action: 'left running' };
        try {
          const recorded = opts.onDisown?.(pid!);
          if (recorded) await within(recorded.catch(() => undefined), DISOWN_RECORD_MS, opts.clock);
        } catch {
          // a listener's failure does not stop the step
        }
      }
    }
    if (!linesDone) {
      if (!out.leftovers || out.leftovers.action === 'killed') opts.onNote('output still open after the step ended: closing it');
      sub.stdout?.destroy();
      sub.stderr?.destroy();
    }
    await within(settled, 1_000, opts.clock);
    return out;
  } finally {
    opts.clock.clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/** Waits for `p`, at most `ms` of clock time. */
async function within(p: Promise<unknown>, ms: number, clock: Clock): Promise<void> {
  const stop = new AbortController();
  await Promise.race([p, clock.sleep(ms, stop.signal).catch(() => undefined)]);
  stop.abort();
}

async function killGroupGracefully(pgid: number, why: string, opts: ProcessOptions): Promise<void> {
  opts.onNote(`${why}: sending SIGTERM to the process group`);
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
  if (!hasProc()) {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  return groupMembers(pgid).length > 0;
}

function hasProc(): boolean {
  try {
    readdirSync('/proc/self');
    return true;
  } catch {
    return false;
  }
}

/** The running (not zombie) processes of a group, with their command lines; empty without /proc. */
export function groupMembers(pgid: number): Array<{ pid: number; command: string }> {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: Array<{ pid: number; command: string }> = [];
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const st = readStat(Number(name));
    if (st && st.pgrp === pgid && st.state !== 'Z' && st.state !== 'X') out.push({ pid: Number(name), command: commandOf(Number(name)) });
  }
  return out;
}

function commandOf(pid: number): string {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    if (argv.length > 0) return argv.join(' ').slice(0, 200);
  } catch {
    // gone meanwhile
  }
  return '?';
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
