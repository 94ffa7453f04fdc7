import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotifierSpec } from '../../src/plan/schema.js';
import { createChannels, NotifierConfigError } from '../../src/notify/config.js';
import { makeFilter } from '../../src/notify/filter.js';
import type { HttpTransport } from '../../src/sources/types.js';
import type { Notification } from '../../src/notify/types.js';

const transport: HttpTransport = {
  request: async () => ({ status: 200, headers: {}, body: '', latencyMs: 0 }),
  close: async () => undefined,
};
const spec = (s: Partial<NotifierSpec> & Pick<NotifierSpec, 'kind'>): NotifierSpec => ({ timeout: 5_000, retries: 4, ...s }) as NotifierSpec;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-notify-cfg-'));
  await writeFile(join(dir, 'teams.url'), 'https://prod-1.logic.azure.com/workflows/abc/triggers/manual?sig=zzz\n');
  await writeFile(join(dir, 'empty'), '\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const ctx = (env: Record<string, string | undefined> = {}) => ({ env, planDir: dir, transport, now: () => 0 });

function problems(specs: NotifierSpec[], env: Record<string, string | undefined> = {}): string[] {
  try {
    createChannels(specs, ctx(env));
  } catch (err) {
    expect(err).toBeInstanceOf(NotifierConfigError);
    return (err as NotifierConfigError).problems;
  }
  return [];
}

describe('createChannels', () => {
  it('resolves URLs from env and file and names channels redacted and unique', () => {
    const chans = createChannels(
      [
        spec({ kind: 'slack', urlEnv: 'SLACK' }),
        spec({ kind: 'slack', urlEnv: 'SLACK' }),
        spec({ kind: 'teams', urlFile: 'teams.url', name: 'ops-teams' }),
        spec({ kind: 'file', path: 'monitor_logs/n.jsonl' }),
        spec({ kind: 'email', smtp: { host: 'smtp.example.com', port: 587, secure: false }, to: ['a@example.com'] }),
      ],
      ctx({ SLACK: 'https://hooks.slack.com/services/T/B/secret' }),
    );
    expect(chans.map((c) => c.name)).toEqual([
      'slack(https://hooks.slack.com/services…/****)',
      'slack(https://hooks.slack.com/services…/****)#2',
      'ops-teams(https://prod-1.logic.azure.com/workflows…/****)',
      'file(monitor_logs/n.jsonl)',
      'email(smtp.example.com:587)',
    ]);
    expect(chans[2]!.secrets).toContain('zzz');
    for (const c of chans) void c.close();
  });

  it('reports every problem at once, naming variables and files, never values', () => {
    const p = problems(
      [
        spec({ kind: 'slack' }),
        spec({ kind: 'discord', urlEnv: 'NOPE' }),
        spec({ kind: 'webhook', urlEnv: 'BAD' }),
        spec({ kind: 'teams', urlFile: 'missing.url' }),
        spec({ kind: 'webhook', urlFile: 'empty' }),
        spec({ kind: 'webhook', urlEnv: 'OK', headers: { Authorization: { env: 'NO_TOKEN' } } }),
        spec({ kind: 'file' }),
        spec({ kind: 'email' }),
        spec({ kind: 'email', smtp: { host: 'h', port: 25, secure: false, userEnv: 'U' }, toEnv: 'TO' }),
      ],
      { BAD: 'file:///etc/passwd-VALUE', OK: 'https://example.com/x', U: 'user' },
    );
    expect(p).toEqual([
      'notify[0] (slack): expected `urlEnv` or `urlFile` (webhook URLs are secrets and never written in a plan)',
      'notify[1] (discord): environment variable NOPE (webhook URL) is not set',
      'notify[2] (webhook): the webhook URL from BAD is not an http(s) URL',
      'notify[3] (teams): cannot read missing.url (webhook URL): ENOENT',
      'notify[4] (webhook): empty (webhook URL) is empty',
      'notify[5] (webhook): environment variable NO_TOKEN (header Authorization) is not set',
      'notify[6] (file): expected `path`, the JSONL file to append to',
      'notify[7] (email): expected `smtp: { host, port }`',
      'notify[7] (email): expected `to` or `toEnv` (recipients)',
      'notify[8] (email): environment variable TO (recipients) is not set',
      'notify[8] (email): smtp.userEnv needs smtp.passwordEnv or smtp.passwordFile',
    ]);
    expect(p.join('\n')).not.toContain('VALUE');
  });
});

describe('makeFilter', () => {
  const n = (event: string, severity: Notification['severity']) => ({ event, severity }) as Notification;
  it('passes everything by default', () => {
    expect(makeFilter(undefined, undefined)(n('anything', 'info'))).toBe(true);
  });
  it('matches exact events and prefix wildcards', () => {
    const f = makeFilter(['override', 'action.*'], undefined);
    expect(f(n('override', 'info'))).toBe(true);
    expect(f(n('action.failed', 'info'))).toBe(true);
    expect(f(n('gate.failing', 'critical'))).toBe(false);
  });
  it('applies the minimum severity', () => {
    const f = makeFilter(undefined, 'warning');
    expect([f(n('x', 'info')), f(n('x', 'warning')), f(n('x', 'critical'))]).toEqual([false, true, true]);
  });
  it('an empty event list takes nothing', () => {
    expect(makeFilter([], undefined)(n('x', 'critical'))).toBe(false);
  });
});
