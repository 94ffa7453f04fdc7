/** The process table, read with ps: the live processes that belong to a test directory. */
import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';

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
