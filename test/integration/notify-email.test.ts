/**
 * Email through a real SMTP server (smtp-server) on 127.0.0.1: subject and
 * body as received, credentials from env and file, permanent vs temporary
 * SMTP errors, and the password kept out of every report.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { createNotifier, type Notifier } from '../../src/notify/dispatcher.js';
import type { DeliveryEvent, Notification } from '../../src/notify/types.js';
import { drive, spec } from './notify-helpers.js';

interface Mail {
  from: string;
  to: string[];
  user?: string;
  raw: string;
  at: number;
}

let dir: string;
let clock: ManualClock;
let events: DeliveryEvent[];
const cleanups: Array<() => Promise<void>> = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-notify-mail-'));
  clock = new ManualClock();
  events = [];
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await rm(dir, { recursive: true, force: true });
});

const PASSWORD = 'smtp-pass-SENTINEL-42';

/** rcpt(i) decides the i-th RCPT TO: undefined accepts, a code rejects with it. */
async function smtp(rcpt: (i: number) => number | undefined = () => undefined): Promise<{ port: number; mails: Mail[]; rcpts: number }> {
  const state = { port: 0, mails: [] as Mail[], rcpts: 0 };
  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === 'deploybot' && auth.password === PASSWORD) cb(null, { user: auth.username });
      else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(_addr, _session, cb) {
      const code = rcpt(state.rcpts++);
      if (code === undefined) cb();
      else cb(Object.assign(new Error(code >= 500 ? 'No such user' : 'Try again later'), { responseCode: code }));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        state.mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          user: session.user as string | undefined,
          raw: Buffer.concat(chunks).toString('utf8'),
          at: clock.now(),
        });
        cb();
      });
    },
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  state.port = (server.server.address() as AddressInfo).port;
  cleanups.push(() => new Promise<void>((ok) => server.close(() => ok())));
  return state;
}

function notifier(n: Parameters<typeof createNotifier>[0]): Notifier {
  // No grouping: drive() fires whatever clock timer is next, and a grouping window is one.
  const x = createNotifier({ groupWindowMs: 0, ...n });
  cleanups.push(() => x.close());
  return x;
}

/** Headers (unfolded) and the decoded text body of a raw message. */
function parse(raw: string): { headers: Record<string, string>; body: string } {
  const [head = '', ...rest] = raw.split('\r\n\r\n');
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = rest.join('\r\n\r\n');
  if (/quoted-printable/i.test(headers['content-transfer-encoding'] ?? '')) {
    const bytes = body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    body = Buffer.from(bytes, 'latin1').toString('utf8');
  } else if (/base64/i.test(headers['content-transfer-encoding'] ?? '')) {
    body = Buffer.from(body, 'base64').toString('utf8');
  }
  return { headers, body: body.replace(/\r\n/g, '\n') };
}

const rollback: Notification = {
  id: 'rb-1',
  event: 'rollback.auto',
  severity: 'critical',
  at: Date.UTC(2026, 0, 1, 12, 0, 0),
  service: 'dhash',
  environment: 'production',
  stage: 'canary-10',
  title: 'Auto-rollback started',
  text: 'p95-hash-time failed for 15m; running ./scripts/rollback_dhash.sh --env production.',
  gates: [{ id: 'p95-hash-time', state: 'failing', display: '2412 ms', threshold: '> 2000' }],
};

describe('email', () => {
  it('delivers subject and body to a real SMTP server, authenticating with credentials from env and file', async () => {
    const server = await smtp();
    await writeFile(join(dir, 'smtp.pass'), `${PASSWORD}\n`);
    const n = notifier({
      specs: [
        spec({
          kind: 'email',
          smtp: { host: '127.0.0.1', port: server.port, secure: false, userEnv: 'SMTP_USER', passwordFile: 'smtp.pass' },
          from: 'dhash-monitor@example.com',
          toEnv: 'EMAIL_TO',
        }),
      ],
      env: { SMTP_USER: 'deploybot', EMAIL_TO: 'ops@example.com, oncall@example.com' },
      planDir: dir,
      fallbackFile: 'fallback.jsonl',
      clock,
      onDelivery: (e) => events.push(e),
    });
    expect(n.describe()).toEqual([`email(127.0.0.1:${server.port})`]);
    n.send(rollback);
    await drive(clock, () => n.pending());

    expect(server.mails).toHaveLength(1);
    const mail = server.mails[0]!;
    expect(mail.user).toBe('deploybot');
    expect(mail.from).toBe('dhash-monitor@example.com');
    expect(mail.to).toEqual(['ops@example.com', 'oncall@example.com']);
    const { headers, body } = parse(mail.raw);
    expect(headers.subject).toBe('[CRITICAL] dhash/production canary-10: Auto-rollback started');
    expect(body).toContain('[CRITICAL] Auto-rollback started');
    expect(body).toContain('p95-hash-time failed for 15m; running ./scripts/rollback_dhash.sh --env production.');
    expect(body).toContain('  - p95-hash-time: failing (2412 ms, threshold > 2000)');
    expect(body).toContain('Service: dhash');
    expect(body).toContain('At: 2026-01-01T12:00:00.000Z');
    expect(events).toEqual([{ type: 'notify.delivered', channel: `email(127.0.0.1:${server.port})`, notificationId: 'rb-1', attempt: 1, at: clock.now(), event: 'rollback.auto', title: expect.any(String) }]);
  });

  it('does not retry a permanent 550, and falls back with the reason', async () => {
    const server = await smtp(() => 550);
    const n = notifier({
      specs: [spec({ kind: 'email', smtp: { host: '127.0.0.1', port: server.port, secure: false }, to: ['nobody@example.com'] })],
      env: {},
      planDir: dir,
      fallbackFile: 'fallback.jsonl',
      clock,
      onDelivery: (e) => events.push(e),
    });
    n.send(rollback);
    await drive(clock, () => n.pending());
    expect(server.rcpts).toBe(1);
    expect(server.mails).toHaveLength(0);
    expect(events.map((e) => [e.type, e.attempt])).toEqual([
      ['notify.failed', 1],
      ['notify.fallback', 0],
    ]);
    const line = JSON.parse(await readFile(join(dir, 'fallback.jsonl'), 'utf8'));
    expect(line.fallback.reason).toBe('every channel failed');
    expect(Object.values(line.fallback.channels)[0]).toMatch(/550/);
  });

  it('retries a temporary 451 on clock time and then delivers', async () => {
    const server = await smtp((i) => (i === 0 ? 451 : undefined));
    const n = notifier({
      specs: [spec({ kind: 'email', smtp: { host: '127.0.0.1', port: server.port, secure: false }, to: ['ops@example.com'] })],
      env: {},
      planDir: dir,
      fallbackFile: 'fallback.jsonl',
      clock,
      random: () => 1,
      onDelivery: (e) => events.push(e),
    });
    const t0 = clock.now();
    n.send(rollback);
    await drive(clock, () => n.pending());
    expect(server.rcpts).toBe(2);
    expect(server.mails).toHaveLength(1);
    expect(server.mails[0]!.at - t0).toBe(500);
    expect(events.map((e) => e.type)).toEqual(['notify.retry', 'notify.delivered']);
  });

  it('a rejected password is not retried and never appears in the report', async () => {
    const server = await smtp();
    const n = notifier({
      specs: [
        spec({
          kind: 'email',
          smtp: { host: '127.0.0.1', port: server.port, secure: false, userEnv: 'U', passwordEnv: 'P' },
          to: ['ops@example.com'],
        }),
      ],
      env: { U: 'deploybot', P: `wrong-${PASSWORD}` },
      planDir: dir,
      fallbackFile: 'fallback.jsonl',
      clock,
      onDelivery: (e) => events.push(e),
    });
    n.send(rollback);
    await drive(clock, () => n.pending());
    expect(server.mails).toHaveLength(0);
    expect(events.map((e) => e.type)).toEqual(['notify.failed', 'notify.fallback']);
    expect(events[0]!.error).toMatch(/EAUTH/);
    const all = JSON.stringify(events) + (await readFile(join(dir, 'fallback.jsonl'), 'utf8')) + JSON.stringify(n.undelivered());
    expect(all).not.toContain('SENTINEL');
  });
});
