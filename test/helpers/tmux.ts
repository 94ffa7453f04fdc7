/**
 * Drives a program in a real tmux pane, as a person would: send keys, read
 * the screen with capture-pane, resize. Each test gets its own tmux server
 * (-L) so nothing leaks between tests or into the user's tmux.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';

export interface TmuxPane {
  /** The screen as text, one string per row. */
  capture(): string;
  send(...keys: string[]): void;
  /** Types text literally. */
  type(text: string): void;
  resize(cols: number, rows: number): void;
  /** Polls the screen until `test` passes (bounded), returns the screen. */
  waitFor(test: RegExp | ((screen: string) => boolean | Promise<boolean>), opts?: { timeoutMs?: number; what?: string }): Promise<string>;
  /** Whether the program is still running in the pane (its shell has not written its exit status). */
  alive(): boolean;
  /** Exit status of the program once it has ended. */
  exitStatus(): number | undefined;
  /** Whether the pane is in the alternate screen. */
  alternateOn(): boolean;
  /** Every byte the program wrote to the pane so far. */
  raw(): Buffer;
  kill(): void;
}

const TMUX = '/usr/bin/tmux';

export function startTmux(command: string, opts: { cols: number; rows: number; cwd?: string; env?: Record<string, string> }): TmuxPane {
  if (!existsSync(TMUX)) throw new Error('tmux not found: apt-get install -y tmux');
  const socket = `fd-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const t = (...args: string[]) => execFileSync(TMUX, ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8', cwd: opts.cwd });
  const envArgs = Object.entries({ TERM: 'xterm-256color', ...opts.env }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  // tmux 3.3 does not report a zero exit status, so the shell writes it down.
  const statusDir = mkdtempSync(join(tmpdir(), 'fd-tmux-'));
  const statusFile = join(statusDir, 'status');
  t('new-session', '-d', '-s', 'fd', '-x', String(opts.cols), '-y', String(opts.rows), ...envArgs, `${command}; echo $? > ${statusFile}`);
  t('set-option', '-t', 'fd', 'remain-on-exit', 'on');
  const rawFile = join(statusDir, 'raw');
  t('pipe-pane', '-t', 'fd', '-o', `cat >> ${rawFile}`);
  t('set-option', '-g', 'window-size', 'manual');
  const fmt = (f: string) => t('display-message', '-p', '-t', 'fd', f).trim();
  const pane: TmuxPane = {
    capture: () => t('capture-pane', '-p', '-t', 'fd'),
    send: (...keys) => void t('send-keys', '-t', 'fd', ...keys),
    type: (text) => void t('send-keys', '-t', 'fd', '-l', text),
    resize: (cols, rows) => void t('resize-window', '-t', 'fd', '-x', String(cols), '-y', String(rows)),
    async waitFor(test, o = {}) {
      const deadline = Date.now() + (o.timeoutMs ?? 15_000);
      const ok = typeof test === 'function' ? test : (s: string) => test.test(s);
      let screen = '';
      while (Date.now() < deadline) {
        screen = pane.capture();
        if (await ok(screen)) return screen;
        await new Promise((r) => setTimeout(r, 150));
      }
      throw new Error(`timed out waiting for ${o.what ?? String(test)}; the screen:\n${screen}`);
    },
    alive: () => !existsSync(statusFile),
    exitStatus: () => {
      try {
        const s = readFileSync(statusFile, 'utf8').trim();
        return s === '' ? undefined : Number(s);
      } catch {
        return undefined;
      }
    },
    alternateOn: () => fmt('#{alternate_on}') === '1',
    raw: () => (existsSync(rawFile) ? readFileSync(rawFile) : Buffer.alloc(0)),
    kill: () => {
      try {
        t('kill-server');
      } catch {
        // already gone
      }
      rmSync(statusDir, { recursive: true, force: true });
    },
  };
  return pane;
}

/**
 * For a test file whose tests each drive one pane: one temp dir for the file
 * (removed after it), and each test's pane killed after the test.
 */
export function panePerTest(prefix: string): { readonly dir: string; start(command: string, opts: { cols: number; rows: number; env?: Record<string, string> }): TmuxPane } {
  let dir = '';
  let pane: TmuxPane | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterEach(() => {
    pane?.kill();
    pane = undefined;
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    start(command, opts) {
      pane = startTmux(command, { ...opts, cwd: dir });
      return pane;
    },
  };
}

/** The screen's rows of gate `id` in the gates panel (selected or not, any state). */
export function gateRows(screen: string, id: string): string[] {
  return screen.split('\n').filter((l) => new RegExp(`^(▶| ) \\S (ok|warn|pending|failing|no data|error|off)\\s+${id}\\s`).test(l));
}
