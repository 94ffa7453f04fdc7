/** Runs a gate's command (argv, no shell) with a timeout; never throws. */
import type { CommandOutcome } from '../../checks/types.js';

const TAIL_LINES = 20;

export async function runGateCommand(
  argv: string[],
  opts: { cwd: string; timeoutMs: number; env?: Record<string, string>; signal?: AbortSignal },
): Promise<CommandOutcome> {
  const started = performance.now();
  const [file, ...args] = argv;
  try {
    const { execa } = await import('execa');
    const res = await execa(file!, args, {
      cwd: opts.cwd,
      env: opts.env,
      timeout: opts.timeoutMs,
      forceKillAfterDelay: 2_000,
      cancelSignal: opts.signal,
      reject: false,
      all: true,
      stdin: 'ignore',
      cleanup: true,
    });
    const tail = String(res.all ?? '').split('\n').slice(-TAIL_LINES).join('\n');
    if (res.timedOut) return { exitCode: null, timedOut: true, durationMs: performance.now() - started, tail };
    if (res.exitCode === undefined) {
      const why = res.failed && res.cause instanceof Error ? res.cause.message : res.signal ? `killed by ${res.signal}` : 'did not run';
      return { exitCode: null, timedOut: false, durationMs: performance.now() - started, tail, error: why };
    }
    return { exitCode: res.exitCode, timedOut: false, durationMs: performance.now() - started, tail };
  } catch (err) {
    return { exitCode: null, timedOut: false, durationMs: performance.now() - started, tail: '', error: (err as Error).message };
  }
}
