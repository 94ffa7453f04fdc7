/** Runs the built `flightdeck` binary (npm test builds first) and captures what a user would see. */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = `${ROOT}bin/flightdeck`;

export async function flightdeck(args: string[], opts: { env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {}) {
  if (!existsSync(`${ROOT}dist/flightdeck.js`)) throw new Error('dist/ is missing: run `npm run build` (npm test does it)');
  const res = await execa(BIN, args, {
    reject: false,
    env: { NO_COLOR: '1', ...opts.env },
    timeout: opts.timeoutMs ?? 30_000,
    cwd: opts.cwd ?? ROOT,
    stdin: 'ignore',
  });
  return { code: res.exitCode, stdout: String(res.stdout), stderr: String(res.stderr) };
}
