/**
 * The PostgreSQL store over TLS, against a real server that takes TCP clients only over TLS
 * (pg_hba `hostssl`, a self-signed certificate for 127.0.0.1): `ssl: require` in the plan connects
 * and keeps the rollout state; no TLS is refused with a clear error and no password; `verify-full`
 * (in the plan or as `sslmode=` in the URL) refuses a certificate nobody trusts and accepts it once
 * the client trusts it (NODE_EXTRA_CA_CERTS).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { flightdeck } from '../helpers/cli.js';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.js';

let pg: RunningPostgres;
let dir: string;

beforeAll(async () => {
  [pg, dir] = await Promise.all([startPostgres({ tls: true }), mkdtemp(join(tmpdir(), 'fd-pgtls-'))]);
}, 60_000);
afterAll(async () => {
  await pg?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function plan(name: string, ssl?: boolean | 'require' | 'verify-full'): Promise<string> {
  await writeFile(
    join(dir, name),
    stringify({
      service: 'tls',
      store: { postgres: { urlEnv: 'FD_PG_URL', ...(ssl !== undefined ? { ssl } : {}) } },
      stages: [{ id: 'canary', promote: { run: ['true'] } }, { id: 'full' }],
    }),
  );
  return name;
}

const fd = (args: string[], env: Record<string, string> = {}) => flightdeck(args, { cwd: dir, env: { FD_PG_URL: pg.url, ...env }, timeoutMs: 60_000 });

it('ssl: require connects over TLS and keeps the rollout state; without TLS the server refuses, and the error says so without the password', async () => {
  const tls = await plan('tls.yaml', 'require');
  const set = await fd(['state', 'set', tls, '--stage', 'full', '--reason', 'set over TLS by the test']);
  expect(set.code, set.stdout + set.stderr).toBe(0);
  const show = await fd(['state', 'show', tls]);
  expect(show.code, show.stdout + show.stderr).toBe(0);
  // In the database, not in a file beside the plan.
  expect(show.stdout).toMatch(/^PostgreSQL 127\.0\.0\.1:\d+\/flightdeck .*\n.*full/);
  expect(existsSync(join(dir, '.flightdeck', 'tls.yaml.state.json'))).toBe(false);

  const plain = await plan('plain.yaml', false);
  const refused = await fd(['state', 'show', plain]);
  expect(refused.code).not.toBe(0);
  expect(refused.stdout + refused.stderr).toMatch(/no encryption|SSL|TLS/i);
  expect(refused.stdout + refused.stderr).toMatch(/127\.0\.0\.1:\d+\/flightdeck/);
  expect(refused.stdout + refused.stderr).not.toContain(pg.password);
}, 90_000);

it('ssl: verify-full refuses the self-signed certificate until the client trusts it', async () => {
  const strict = await plan('strict.yaml', 'verify-full');
  const untrusted = await fd(['state', 'show', strict]);
  expect(untrusted.code, untrusted.stdout + untrusted.stderr).not.toBe(0);
  expect(untrusted.stdout + untrusted.stderr).toMatch(/certificate/i);
  expect(untrusted.stdout + untrusted.stderr).not.toContain(pg.password);
  const trusted = await fd(['state', 'show', strict], { NODE_EXTRA_CA_CERTS: pg.certFile! });
  expect(trusted.code, trusted.stdout + trusted.stderr).toBe(0);
  // The same asked by the URL (sslmode=verify-full) instead of the plan.
  const byUrl = await plan('by-url.yaml');
  const viaUrl = (env: Record<string, string>) => fd(['state', 'show', byUrl], { FD_PG_URL: `${pg.url}?sslmode=verify-full`, ...env });
  expect((await viaUrl({})).code).not.toBe(0);
  const urlTrusted = await viaUrl({ NODE_EXTRA_CA_CERTS: pg.certFile! });
  expect(urlTrusted.code, urlTrusted.stdout + urlTrusted.stderr).toBe(0);
}, 90_000);
