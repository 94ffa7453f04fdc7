/**
 * A program in a real tmux pane, for the idle and start-up figures: its own
 * tmux server (-L), every byte the program writes captured with pipe-pane,
 * and its pid written by the shell that then execs it (so the pid is the
 * program's own).
 *
 * pipe-pane can only be attached once the pane exists, so the shell waits
 * for a "go" file before it execs the program: no byte is missed, and the
 * shell writes the exec time (`date +%s%N`) first.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alive, killTmux, sleep, trackTmux } from './procs.js';

const TMUX = '/usr/bin/tmux';

export interface BenchPane {
  /** Lets the program start; resolves the exec time (epoch ms, from the shell's date). */
  go(): void;
  /** Exec time in epoch ms (written by the shell just before exec), once started. */
  execAt(): number | undefined;
  pid(): number | undefined;
  raw(): Buffer;
  rawSize(): number;
  capture(): string;
  kill(): void;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function startPane(argv: string[], o: { dir: string; cols: number; rows: number; cwd: string; env?: Record<string, string> }): BenchPane {
  if (!existsSync(TMUX)) throw new Error('the bench needs tmux: apt-get install -y tmux');
  const socket = `fd-bench-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  // The server's environment is the one its panes get.
  const env = { ...process.env };
  const t = (...args: string[]) => execFileSync(TMUX, ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8', cwd: o.cwd, env });
  const goFile = join(o.dir, 'go');
  const pidFile = join(o.dir, 'pid');
  const execFile = join(o.dir, 'exec.ns');
  const rawFile = join(o.dir, 'raw');
  writeFileSync(rawFile, '');
  const script = [
    `echo $$ > ${q(pidFile)}`,
    `while [ ! -e ${q(goFile)} ]; do sleep 0.005; done`,
    `date +%s%N > ${q(execFile)}`,
    `exec ${argv.map(q).join(' ')}`,
  ].join('; ');
  const envArgs = Object.entries({ TERM: 'xterm-256color', ...o.env }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  trackTmux(socket);
  t('new-session', '-d', '-s', 'fd', '-x', String(o.cols), '-y', String(o.rows), ...envArgs, `sh -c ${q(script)}`);
  t('set-option', '-t', 'fd', 'remain-on-exit', 'on');
  t('set-option', '-g', 'window-size', 'manual');
  t('pipe-pane', '-t', 'fd', '-o', `cat >> ${q(rawFile)}`);
  const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').trim() : '');
  return {
    go: () => writeFileSync(goFile, ''),
    execAt: () => {
      const ns = read(execFile);
      return ns ? Number(BigInt(ns) / 1000n) / 1000 : undefined;
    },
    pid: () => {
      const p = Number(read(pidFile));
      return p > 0 ? p : undefined;
    },
    raw: () => readFileSync(rawFile),
    rawSize: () => statSync(rawFile).size,
    capture: () => t('capture-pane', '-p', '-t', 'fd'),
    kill: () => killTmux(socket),
  };
}

/** Kills the pane's tmux server and makes sure the program in it is gone. */
export async function closePane(pane: BenchPane): Promise<void> {
  const pid = pane.pid();
  pane.kill();
  if (pid === undefined) return;
  const deadline = Date.now() + 3_000;
  while (alive(pid) && Date.now() < deadline) await sleep(20);
  if (alive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}
