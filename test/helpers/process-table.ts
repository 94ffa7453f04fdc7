/** The process table, read with ps: the live processes that belong to a test directory. */
import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';

/** Every live (not zombie) process whose command line mentions `dir` or whose working directory is `dir`. */
export function processesIn(dir: string): Array<{ pid: number; args: string }> {
  const out = execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' });
  const found: Array<{ pid: number; args: string }> = [];
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!m || m[2]!.startsWith('Z')) continue;
    const pid = Number(m[1]);
    if (pid === process.pid) continue;
    let cwd = '';
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      // gone, or not ours to read
    }
    if (m[3]!.includes(dir) || cwd === dir) found.push({ pid, args: m[3]! });
  }
  return found;
}

export function killAllIn(dir: string): void {
  for (const p of processesIn(dir)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/**
 * The pid a test script wrote to `file` (`echo $$ > file`), once the whole number is there: the
 * file exists as soon as the shell opens it, before the number is written, and Number('') is 0 —
 * a pid 0 signalled in a clean-up (kill(0)) would kill the test runner's own process group.
 */
export async function pidIn(file: string, ms = 10_000): Promise<number> {
  const end = Date.now() + ms;
  for (;;) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      // not there yet
    }
    const m = /^\s*(\d+)\s*$/.exec(text);
    if (m && text.endsWith('\n') && Number(m[1]) > 1) return Number(m[1]);
    if (Date.now() > end) throw new Error(`no whole pid in ${file} after ${ms} ms (read ${JSON.stringify(text)})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
