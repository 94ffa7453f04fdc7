import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runAction, type ActionContext } from '../../src/actions/runner.js';
import { actionSchema } from '../../src/plan/schema.js';
import { HttpError, type HttpTransport } from '../../src/sources/types.js';
import { actionContext } from '../helpers/act.js';

const SECRET = 'sk-live-SENTINEL-7f3a9c2e41';
const FILE_SECRET = 'file-secret-SENTINEL-0b8d';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let base: string;
const seen: Seen[] = [];
let reply: { status: number; body: string; delayMs?: number } = { status: 200, body: '{"ok":true}' };

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const send = (): void => {
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(reply.body);
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

/** A tiny undici adapter, as the action runner sees the network. */
function undiciTransport(): HttpTransport {
  return {
    async request(req) {
      const started = Date.now();
      try {
        const res = await request(req.url, {
          method: req.method,
          headers: req.headers,
          body: req.body,
          headersTimeout: req.timeoutMs,
          bodyTimeout: req.timeoutMs,
          ...(req.signal ? { signal: req.signal } : {}),
        });
        const body = await res.body.text();
        return { status: res.statusCode, headers: res.headers, body, latencyMs: Date.now() - started };
      } catch (err) {
        const code = (err as { code?: string }).code ?? '';
        if (code.includes('TIMEOUT')) throw new HttpError('timeout', `timed out after ${req.timeoutMs} ms`);
        throw new HttpError('unreachable', `unreachable (${code || 'error'})`);
      }
    },
    async close() {},
  };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-http-'));
  seen.length = 0;
  reply = { status: 200, body: '{"ok":true}' };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function ctx(over: Partial<ActionContext> = {}): ActionContext {
  return actionContext(dir, {
    stageId: 'dual-write',
    operator: 'bob',
    reason: 'lag over 5s',
    env: { INSTRUMENT_REGISTRY_API_KEY: SECRET },
    httpTransport: undiciTransport(),
    logFile: join(dir, 'action.log'),
    ...over,
  });
}

describe('HTTP actions', () => {
  it('sends method, JSON body and the secret header from the environment; records names only', async () => {
    reply = { status: 200, body: `{"echo":"${SECRET}"}` };
    const spec = actionSchema.parse({
      http: {
        method: 'POST',
        url: `${base}/api/v1/internal/instrument-registry/actuator/toggle-dual-write`,
        headers: { 'X-Internal-API-Key': { env: 'INSTRUMENT_REGISTRY_API_KEY' }, 'X-Reason': 'rollback' },
        body: { enabled: false },
      },
    });
    const lines: string[] = [];
    const r = await runAction(spec, ctx({ onOutput: (l) => lines.push(l.text) }));
    expect(r.ok).toBe(true);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.url).toBe('/api/v1/internal/instrument-registry/actuator/toggle-dual-write');
    expect(seen[0]!.headers['x-internal-api-key']).toBe(SECRET);
    expect(seen[0]!.headers['x-reason']).toBe('rollback');
    expect(seen[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen[0]!.body)).toEqual({ enabled: false });

    const step = r.steps[0]!;
    expect(step.status).toBe('ok');
    expect(step.httpStatus).toBe(200);
    expect(step.http).toEqual({ method: 'POST', url: `${base}/api/v1/internal/instrument-registry/actuator/toggle-dual-write`, headers: ['X-Internal-API-Key', 'X-Reason'] });
    // the response echoed the key: masked everywhere
    expect(step.tail).toContain('{"echo":"[REDACTED]"}');
    expect(JSON.stringify(r)).not.toContain(SECRET);
    expect(lines.join('\n')).not.toContain(SECRET);
    const log = await readFile(join(dir, 'action.log'), 'utf8');
    expect(log).toContain('X-Internal-API-Key');
    expect(log).not.toContain(SECRET);
  });

  it('reads a secret header from a file relative to the plan, with the default undici transport', async () => {
    await writeFile(join(dir, 'api.key'), `${FILE_SECRET}\n`);
    const spec = actionSchema.parse({
      steps: [{ name: 'config', http: { method: 'PUT', url: `${base}/actuator/config?token=${'q'.repeat(8)}`, headers: { Authorization: { file: 'api.key' } }, body: { feature: 'off' } } }],
    });
    const { httpTransport: _ignored, ...noTransport } = ctx();
    const r = await runAction(spec, noTransport);
    expect(r.ok).toBe(true);
    expect(seen[0]!.method).toBe('PUT');
    expect(seen[0]!.headers.authorization).toBe(FILE_SECRET);
    expect(r.steps[0]!.http!.url).toBe(`${base}/actuator/config?token=[REDACTED]`);
    expect(JSON.stringify(r)).not.toContain(FILE_SECRET);
    expect(await readFile(join(dir, 'action.log'), 'utf8')).not.toContain('q'.repeat(8));
  });

  it('an unexpected status fails the step (default 2xx, or expectStatus)', async () => {
    reply = { status: 503, body: '{"error":"DB_POOL_EXHAUSTED"}' };
    const spec = actionSchema.parse({ steps: [{ name: 'toggle', http: { url: `${base}/toggle` } }, { name: 'next', http: { url: `${base}/next` } }] });
    const r = await runAction(spec, ctx());
    expect(r.ok).toBe(false);
    expect(r.steps.map((s) => s.status)).toEqual(['failed', 'skipped']);
    expect(r.steps[0]!.note).toBe('HTTP 503, expected 2xx');
    expect(seen.map((s) => s.url)).toEqual(['/toggle']);

    reply = { status: 202, body: '' };
    const only200 = actionSchema.parse({ http: { url: `${base}/x`, expectStatus: [200] } });
    expect((await runAction(only200, ctx())).steps[0]!.note).toBe('HTTP 202, expected 200');
  });

  it('a missing secret fails before sending anything and names only the variable', async () => {
    const spec = actionSchema.parse({ http: { url: `${base}/toggle`, headers: { 'X-Internal-API-Key': { env: 'NOT_SET_ANYWHERE' } } } });
    const r = await runAction(spec, ctx());
    expect(r.steps[0]!.status).toBe('failed');
    expect(r.steps[0]!.note).toBe('header X-Internal-API-Key: environment variable NOT_SET_ANYWHERE is not set');
    expect(seen).toHaveLength(0);

    const blank = actionSchema.parse({ http: { url: `${base}/toggle`, headers: { 'X-Internal-API-Key': { env: 'BLANK_KEY' } } } });
    const b = await runAction(blank, ctx({ env: { BLANK_KEY: '  ' } }));
    expect(b.steps[0]!.note).toBe('header X-Internal-API-Key: environment variable BLANK_KEY is empty');
    await writeFile(join(dir, 'two-lines.key'), `${FILE_SECRET}\nX-Evil: 1\n`);
    const split = actionSchema.parse({ http: { url: `${base}/toggle`, headers: { 'X-Internal-API-Key': { file: 'two-lines.key' } } } });
    const t = await runAction(split, ctx());
    expect(t.steps[0]!.note).toMatch(/^header X-Internal-API-Key: file .*two-lines\.key contains a line break/);
    expect(JSON.stringify(t)).not.toContain(FILE_SECRET);
    expect(seen).toHaveLength(0);
  });

  it('times out and reports unreachable endpoints', async () => {
    reply = { status: 200, body: '{}', delayMs: 1_000 };
    const slow = actionSchema.parse({ http: { url: `${base}/slow`, timeout: '200ms' } });
    const r = await runAction(slow, ctx());
    expect(r.steps[0]!.status).toBe('timed out');

    const closed = actionSchema.parse({ http: { url: 'http://127.0.0.1:9/nothing-listens' } });
    const u = await runAction(closed, ctx());
    expect(u.steps[0]!.status).toBe('failed');
    expect(u.steps[0]!.note).toMatch(/unreachable/);
  });
});
