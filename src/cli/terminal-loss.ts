/**
 * Losing the terminal is not a crash. sshd sends SIGHUP when the SSH session
 * drops, `tmux kill-session` hangs the pty up, and from then on every write
 * to it fails with EIO (a closed pipe: EPIPE). A process that watches for
 * that stops what it does in an orderly way (its session stops, an action in
 * flight is stopped and audited), writes nothing more, and exits without a
 * stack trace.
 *
 * Node resets the terminal's modes when it exits; on a terminal that is gone
 * that fails and Node 20 aborts with a native assertion (ResetStdio). It skips
 * descriptors that were closed, so `releaseDeadTerminal` closes the ones that
 * pointed at the dead terminal.
 */
import { closeSync, fstatSync } from 'node:fs';
import { isatty } from 'node:tty';

export type TerminalLoss = 'SIGHUP' | 'EIO' | 'EPIPE' | 'closed';

const LOST_CODES = new Set(['EIO', 'EPIPE', 'ENXIO', 'ECONNRESET', 'ERR_STREAM_DESTROYED']);

/**
 * Calls `onLoss` once when the terminal (or the pipe stdout goes to) is lost:
 * SIGHUP, or an EIO/EPIPE error on stdin, stdout or stderr. From the first
 * loss on, further stream errors are swallowed. Returns a function that stops watching.
 */
export function watchTerminalLoss(onLoss: (why: TerminalLoss) => void): () => void {
  let lost = false;
  const fire = (why: TerminalLoss): void => {
    if (lost) return;
    lost = true;
    onLoss(why);
  };
  const onHup = (): void => fire('SIGHUP');
  const onError = (err: NodeJS.ErrnoException): void => {
    const code = err?.code ?? '';
    fire(code === 'EPIPE' ? 'EPIPE' : LOST_CODES.has(code) ? 'EIO' : 'closed');
  };
  const streams = [process.stdin, process.stdout, process.stderr];
  process.on('SIGHUP', onHup);
  for (const s of streams) s.on('error', onError);
  return () => {
    // Once lost, more may come while the process finishes (the dying shell forwards a second SIGHUP,
    // errors come while the streams drain): keep swallowing them. SIGHUP's default action would kill
    // the process before a stopped action's end reaches the audit.
    if (lost) return;
    process.off('SIGHUP', onHup);
    for (const s of streams) s.off('error', onError);
  };
}

/**
 * Runs a drawn cockpit until it exits: by its quit key, or because the terminal was lost (then it
 * is unmounted like the quit key does, nothing more is drawn). Resolves with whether the terminal
 * was lost; the caller finishes its work, then calls `releaseDeadTerminal` if it was.
 */
export async function untilCockpitExits(handle: { unmount(): void; waitUntilExit(): Promise<unknown> }): Promise<{ lost: boolean }> {
  let lost = false;
  const unwatch = watchTerminalLoss(() => {
    lost = true;
    try {
      handle.unmount();
    } catch {
      // the terminal is gone: nothing to restore
    }
  });
  try {
    await handle.waitUntilExit();
  } finally {
    unwatch();
  }
  return { lost };
}

/** Whether stdout still reaches a terminal that is there (false once it hung up). */
export function terminalGone(): boolean {
  return [0, 1, 2].some((fd) => wasTty.has(fd) && !isatty(fd));
}

const wasTty = new Set([0, 1, 2].filter((fd) => isatty(fd)));

/**
 * Closes the standard descriptors that were a terminal which is now gone, so
 * that Node's exit does not try (and fail, and abort) to restore its modes.
 * Nothing can be written to them any more anyway.
 */
export function releaseDeadTerminal(): void {
  for (const fd of wasTty) {
    if (isatty(fd)) continue; // still a working terminal: leave it to be restored
    try {
      fstatSync(fd);
      closeSync(fd);
    } catch {
      // closed already
    }
  }
}
