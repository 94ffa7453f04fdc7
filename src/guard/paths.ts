/**
 * Where a plan's guard keeps its files: in the plan's state directory
 * (`<planDir>/.flightdeck/`, beside the action lock) — its record (pid,
 * socket, log), its control socket and its log — and a machine-wide
 * directory listing every running guard (for `flightdeck status`).
 */
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

export interface GuardPaths {
  planFile: string;
  stateDir: string;
  /** JSON record of the running guard. */
  info: string;
  socket: string;
  log: string;
  /** This plan's entry in the machine-wide list. */
  registryEntry: string;
}

/** The machine-wide list of guards (sticky, world-writable, like /tmp). */
export function registryDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.FLIGHTDECK_GUARD_DIR ? resolve(env.FLIGHTDECK_GUARD_DIR) : join(tmpdir(), 'flightdeck-guards');
}

/** Unix socket paths are limited to 107 bytes. */
const SOCKET_MAX = 100;

export function guardPaths(planFile: string, stateDir?: string, env: NodeJS.ProcessEnv = process.env): GuardPaths {
  const plan = resolve(planFile);
  const dir = stateDir ? resolve(stateDir) : join(dirname(plan), '.flightdeck');
  const base = basename(plan);
  const id = createHash('sha256').update(plan).digest('hex').slice(0, 16);
  let socket = join(dir, `${base}.guard.sock`);
  if (socket.length > SOCKET_MAX) socket = join(registryDir(env), `${id}.sock`);
  return {
    planFile: plan,
    stateDir: dir,
    info: join(dir, `${base}.guard.json`),
    socket,
    log: join(dir, `${base}.guard.log`),
    registryEntry: join(registryDir(env), `${id}.json`),
  };
}
