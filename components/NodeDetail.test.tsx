/** The node detail's health body: its field paths, and which answer it is from. */
import { describe, expect, it } from 'vitest';
import type { NodeStatus } from '../src/sources/types.js';
import { flattenBody, nodeDetailLines } from './NodeDetail.js';
import { makeTheme } from './theme.js';

it('flattens a health body into field paths', () => {
  expect(flattenBody({ a: { b: [1, { c: 'x' }] }, d: null, e: {} })).toEqual([
    ['a.b.0', '1'],
    ['a.b.1.c', 'x'],
    ['d', 'null'],
    ['e', '{}'],
  ]);
});

it('has no field for a node that never sent a body (not "(body) undefined")', () => {
  expect(flattenBody(undefined)).toEqual([]);
  expect(flattenBody('ok')).toEqual([['(body)', 'ok']]);
});

it("masks what a service's body should not have put on an operator's screen: secret-looking keys' strings, URL credentials", () => {
  const body = {
    status: 'UP',
    components: { redis: { details: { url: 'redis://:hunter2pass@cache:6379/0', mode: 'on' } }, db: { password: 'p4ssw0rd!', pool: { maxTokens: 5, active: 2 } } },
    api_key: 'k-123456789',
    tokens: ['t-abc123def'],
    callback: 'https://hooks.example/cb?token=zz-999&x=1',
  };
  const fields = flattenBody(body);
  const text = fields.map(([k, v]) => `${k} ${v}`).join('\n');
  for (const secret of ['hunter2pass', 'p4ssw0rd!', 'k-123456789', 't-abc123def', 'zz-999']) expect(text).not.toContain(secret);
  expect(fields).toEqual([
    ['status', 'UP'],
    ['components.redis.details.url', 'redis://[REDACTED]@cache:6379/0'],
    ['components.redis.details.mode', 'on'],
    ['components.db.password', '[REDACTED]'],
    ['components.db.pool.maxTokens', '5'],
    ['components.db.pool.active', '2'],
    ['api_key', '[REDACTED]'],
    ['tokens.0', '[REDACTED]'],
    ['callback', 'https://hooks.example/cb?token=[REDACTED]&x=1'],
  ]);
});

describe("the health body shown", () => {
  const theme = makeTheme({ noColor: true, ascii: false });
  const text = (node: NodeStatus) =>
    nodeDetailLines({ name: node.name, node, width: 120, height: 30, scroll: 0, now: 100_000 }, theme)
      .map((l) => l.segs.map((s) => s.text).join(''))
      .join('\n');
  const healthy = { status: 'ok', database_pool: { state: { saturation: 0.45 } } };
  const base: NodeStatus = { name: 'n-1', url: 'http://127.0.0.1:1', up: false, consecutiveFailures: 3, breaker: 'closed', lastBody: healthy, lastOkAt: 40_000 };

  it("is the latest answer's: a 503's body (why it is down), not the last healthy one", () => {
    const overloaded = { status: 'down', error: 'DB_POOL_EXHAUSTED' };
    const s = text({ ...base, last: { node: 'n-1', at: 90_000, sent: true, ok: false, status: 503, body: overloaded, errorCode: 'DB_POOL_EXHAUSTED' } });
    expect(s).toMatch(/HEALTH BODY 2 fields/);
    expect(s).toMatch(/^error\s+DB_POOL_EXHAUSTED$/m);
    expect(s).not.toMatch(/saturation/);
    expect(s).not.toMatch(/earlier answer/);
  });

  it('is said to be from an earlier answer when the last probe had no body (no answer, or not sent)', () => {
    for (const last of [
      { node: 'n-1', at: 90_000, sent: true, ok: false, error: 'unreachable' },
      { node: 'n-1', at: 90_000, sent: false, ok: false },
    ]) {
      const s = text({ ...base, last });
      expect(s).toMatch(/HEALTH BODY 2 fields · from an earlier answer: the last probe had none/);
      expect(s).toMatch(/^status\s+ok$/m);
    }
  });

  it('is not qualified when the latest answer sent it', () => {
    const s = text({ ...base, up: true, consecutiveFailures: 0, last: { node: 'n-1', at: 90_000, sent: true, ok: true, status: 200, body: healthy }, lastOkAt: 90_000 });
    expect(s).toMatch(/HEALTH BODY 2 fields\s*$/m);
  });
});
