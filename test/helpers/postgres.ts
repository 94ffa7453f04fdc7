/**
 * Runs a REAL PostgreSQL 15 for integration tests: `initdb` into a temporary
 * data directory, `pg_ctl start` on 127.0.0.1 and a free port with its socket
 * in the same temporary directory, and a stop (in afterAll) that always stops
 * the server and removes the directory. When the tests run as root, the server
 * runs as the `postgres` user (`runuser -u postgres --`) and owns the
 * directory: PostgreSQL refuses to run as root.
 *
 * A missing PostgreSQL fails the test (startPostgres throws): nothing is skipped.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface RunningPostgres {
  /** postgres://flightdeck:…@127.0.0.1:PORT/flightdeck (the superuser of the test cluster). */
  url: string;
  port: number;
  /** The password of the superuser (to check that it never shows). */
  password: string;
  /** A URL for another role of the cluster. */
  urlFor(user: string, password: string): string;
  /** Stops the server (fast shutdown); `start` brings it back on the same port and data. */
  stopServer(): Promise<void>;
  start(): Promise<void>;
  /** The server's log so far (for failure messages). */
  logs(): Promise<string>;
  /** Stops the server and removes the directory. */
  stop(): Promise<void>;
  /** With `tls`: the server's self-signed certificate (PEM file), the one a client must trust to verify it. */
  certFile?: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * `tls`: the server has a self-signed certificate for 127.0.0.1 (openssl) and accepts TCP clients only
 * over TLS (pg_hba `hostssl`), so a client that connects at all spoke TLS.
 */
export async function startPostgres(o: { tls?: boolean } = {}): Promise<RunningPostgres> {
  const initdb = join(PG_BIN, 'initdb');
  const pgCtl = join(PG_BIN, 'pg_ctl');
  if (!existsSync(initdb) || !existsSync(pgCtl)) {
    throw new Error(`PostgreSQL 15 is required for this test and is missing (${initdb}); install it: apt-get install -y postgresql (.ci/run does)`);
  }
  const asRoot = userInfo().uid === 0;
  const dir = await mkdtemp(join(tmpdir(), 'fd-pg-'));
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const password = `pw-${Math.random().toString(36).slice(2)}-secret`;
  const pwFile = join(dir, 'pw');
  await writeFile(pwFile, `${password}\n`, { mode: 0o600 });
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: g } = await run('id', ['-g', 'postgres']);
    const uid = Number(stdout.trim());
    const gid = Number(g.trim());
    await chown(dir, uid, gid);
    await chown(pwFile, uid, gid);
  }
  const as = (bin: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', bin, ...args]) : run(bin, args));
  await as(initdb, ['-D', data, '-U', 'flightdeck', '--pwfile', pwFile, '-A', 'scram-sha-256', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  let opts = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off -c full_page_writes=off`;
  const certFile = join(dir, 'server.crt');
  if (o.tls) {
    const keyFile = join(dir, 'server.key');
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile]);
    await chmod(keyFile, 0o600);
    if (asRoot) {
      const ids = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
      for (const f of [keyFile, certFile]) await chown(f, Number(ids[0].stdout.trim()), Number(ids[1].stdout.trim()));
    }
    // TCP clients only over TLS: the hba lines initdb wrote for host become hostssl.
    const hba = join(data, 'pg_hba.conf');
    await writeFile(hba, (await readFile(hba, 'utf8')).replace(/^host(\s)/gm, 'hostssl$1'));
    opts += ` -c ssl=on -c ssl_cert_file=${certFile} -c ssl_key_file=${keyFile}`;
  }
  const start = async () => {
    await as(pgCtl, ['-D', data, '-l', logFile, '-o', opts, '-w', '-t', '30', 'start']);
  };
  const stopServer = async () => {
    await as(pgCtl, ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']).catch(() => undefined);
  };
  try {
    await start();
    // The database the tests use; createdb authenticates with the password (PGPASSWORD in its environment).
    const createdb = [join(PG_BIN, 'createdb'), '-h', '127.0.0.1', '-p', String(port), '-U', 'flightdeck', 'flightdeck'];
    await run(asRoot ? 'runuser' : createdb[0]!, asRoot ? ['-u', 'postgres', '--', ...createdb] : createdb.slice(1), { env: { ...process.env, PGPASSWORD: password } });
  } catch (err) {
    await stopServer();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const urlFor = (user: string, pw: string) => `postgres://${encodeURIComponent(user)}:${encodeURIComponent(pw)}@127.0.0.1:${port}/flightdeck`;
  return {
    url: urlFor('flightdeck', password),
    port,
    ...(o.tls ? { certFile } : {}),
    password,
    urlFor,
    stopServer,
    start,
    async logs() {
      return readFile(logFile, 'utf8').catch(() => '');
    },
    async stop() {
      await stopServer();
      await rm(dir, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}
