/**
 * The notifier against real HTTP receivers on 127.0.0.1: retries with
 * backoff on clock time, Retry-After, no retry on 4xx, the fallback file,
 * slow channels, native payload shapes, grouping, secrets, bounded flush.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { createNotifier, type Notifier } from '../../src/notify/dispatcher.js';
import type { DeliveryEvent, Notification } from '../../src/notify/types.js';
import { HttpError, type HttpTransport } from '../../src/sources/types.js';
import { createHttpTransport } from '../../src/sources/http.js';
import { closedPort, drive, settle, spec, startReceiver, waitUntil, type Receiver } from './notify-helpers.js';

let dir: string;
let clock: ManualClock;
let events: DeliveryEvent[];
const cleanups: Array<() => Promise<void>> = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-notify-'));
  clock = new ManualClock();
  events = [];
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await rm(dir, { recursive: true, force: true });
});

function note(over: Partial<Notification> = {}): Notification {
  return {
    id: `n-${Math.random().toString(36).slice(2, 8)}`,
    event: 'gate.failing',
    severity: 'critical',
    at: clock.now(),
    service: 'dhash',
    environment: 'production',
    stage: 'canary-10',
    title: 'extraction-failure-rate is failing',
    text: 'Failure rate 7.1% over 10m (threshold > 5%).',
    gates: [{ id: 'extraction-failure-rate', state: 'failing', display: '7.1%', threshold: '> 0.05' }],
    ...over,
  };
}

async function receiver(reply: Parameters<typeof startReceiver>[1]): Promise<Receiver> {
  const r = await startReceiver(clock, reply);
  cleanups.push(() => r.close());
  return r;
}

function notifier(opts: Partial<Parameters<typeof createNotifier>[0]> & Pick<Parameters<typeof createNotifier>[0], 'specs' | 'env'>): Notifier {
  const n = createNotifier({
    planDir: dir,
    fallbackFile: 'monitor_logs/notification_fallback.jsonl',
    clock,
    groupWindowMs: 0,
    random: () => 1,
    onDelivery: (ev) => events.push(ev),
    ...opts,
  });
  cleanups.push(() => n.close());
  return n;
}

async function fallbackLines(): Promise<any[]> {
  try {
    const text = await readFile(join(dir, 'monitor_logs/notification_fallback.jsonl'), 'utf8');
    return text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}

describe('retries', () => {
  it('delivers exactly once after two 500s, waiting the backoff on clock time', async () => {
    const r = await receiver((i) => (i < 2 ? { status: 500, body: 'boom' } : { status: 200, body: 'ok' }));
    const n = notifier({ specs: [spec({ kind: 'webhook', urlEnv: 'HOOK' })], env: { HOOK: r.url('/hook') } });
    const t0 = clock.now();
    n.send(note({ id: 'n1' }));
    await drive(clock, () => n.pending());

    expect(r.requests).toHaveLength(3);
    // random() = 1: the full backoff ceilings 500 ms then 1000 ms.
    expect(r.requests.map((q) => q.at - t0)).toEqual([0, 500, 1500]);
    expect(events.map((e) => [e.type, e.attempt])).toEqual([
      ['notify.retry', 1],
      ['notify.retry', 2],
      ['notify.delivered', 3],
    ]);
    expect(events[0]!.error).toBe('HTTP 500: boom');
    expect(await fallbackLines()).toEqual([]);
    expect(n.undelivered().count).toBe(0);
  });

  it('uses full jitter: the delay is random() times the ceiling', async () => {
    const r = await receiver((i) => (i < 2 ? { status: 502 } : { status: 204 }));
    const n = notifier({ specs: [spec({ kind: 'webhook', urlEnv: 'HOOK' })], env: { HOOK: r.url('/hook') }, random: () => 0.25 });
    const t0 = clock.now();
    n.send(note());
    await drive(clock, () => n.pending());
    expect(r.requests.map((q) => q.at - t0)).toEqual([0, 125, 375]);
  });

  it('waits for a 429 Retry-After: 2 before trying again', async () => {
    const r = await receiver((i) => (i === 0 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 }));
    const n = notifier({ specs: [spec({ kind: 'slack', urlEnv: 'SLACK' })], env: { SLACK: r.url('/services/T1/B2/XYZ') } });
    const t0 = clock.now();
    n.send(note());
    await waitUntil(() => r.requests.length === 1 && clock.pending > 0, 'the first attempt and its retry timer');
    await clock.advance(1_999);
    await settle();
    expect(r.requests).toHaveLength(1);
    await clock.advance(1);
    await waitUntil(() => r.requests.length === 2, 'the retry');
    expect(r.requests[1]!.at - t0).toBe(2_000);
    await drive(clock, () => n.pending());
    expect(events.map((e) => e.type)).toEqual(['notify.retry', 'notify.delivered']);
  });

  it('honours a Retry-After HTTP-date on a 503', async () => {
    const r = await receiver((i) =>
      i === 0 ? { status: 503, headers: { 'retry-after': new Date(clock.now() + 7_000).toUTCString() } } : { status: 200 },
    );
    const n = notifier({ specs: [spec({ kind: 'webhook', urlEnv: 'HOOK' })], env: { HOOK: r.url('/h') } });
    const t0 = clock.now();
    n.send(note());
    await drive(clock, () => n.pending());
    expect(r.requests.map((q) => q.at - t0)).toEqual([0, 7_000]);
  });

  it('does not retry a 400: exactly one request, then the fallback file', async () => {
    const r = await receiver(() => ({ status: 400, body: 'invalid_payload' }));
    const n = notifier({ specs: [spec({ kind: 'slack', urlEnv: 'SLACK' })], env: { SLACK: r.url('/services/a/b/c') } });
    n.send(note({ id: 'bad' }));
    await drive(clock, () => n.pending());
    await settle();
    expect(r.requests).toHaveLength(1);
    expect(events.map((e) => [e.type, e.attempt])).toEqual([
      ['notify.failed', 1],
      ['notify.fallback', 0],
    ]);
    const lines = await fallbackLines();
    expect(lines).toHaveLength(1);
    expect(lines[0].id).toBe('bad');
    expect(Object.values(lines[0].fallback.channels)).toEqual(['HTTP 400: invalid_payload']);
  });

  it('gives up after spec.retries', async () => {
    const r = await receiver(() => ({ status: 500 }));
    const n = notifier({ specs: [spec({ kind: 'webhook', urlEnv: 'HOOK', retries: 2 })], env: { HOOK: r.url('/h') } });
    n.send(note());
    await drive(clock, () => n.pending());
    expect(r.requests).toHaveLength(3);
    expect(events.filter((e) => e.type === 'notify.failed').map((e) => e.attempt)).toEqual([3]);
  });
});

describe('fallback file', () => {
  it('takes the message with per-channel reasons when every receiver is down', async () => {
    const port = await closedPort();
    const n = notifier({
      specs: [
        spec({ kind: 'slack', urlEnv: 'SLACK', retries: 1 }),
        spec({ kind: 'discord', urlEnv: 'DISCORD', retries: 2 }),
      ],
      env: { SLACK: `http://127.0.0.1:${port}/services/T/B/X`, DISCORD: `http://127.0.0.1:${port}/api/webhooks/1/tok` },
    });
    n.send(note({ id: 'down' }));
    await drive(clock, () => n.pending());
    const lines = await fallbackLines();
    expect(lines).toHaveLength(1);
    const line = lines[0];
    expect(line).toMatchObject({ kind: 'fallback', id: 'down', event: 'gate.failing', title: 'extraction-failure-rate is failing' });
    expect(line.fallback.reason).toBe('every channel failed');
    expect(Object.keys(line.fallback.channels).sort()).toEqual([
      `discord(http://127.0.0.1:${port}/api…/****)`,
      `slack(http://127.0.0.1:${port}/services…/****)`,
    ]);
    for (const reason of Object.values(line.fallback.channels)) expect(reason).toMatch(/unreachable/);
    expect(n.undelivered().count).toBe(1);
    expect(n.undelivered().lastError).toMatch(/unreachable/);
    expect(events.filter((e) => e.type === 'notify.retry')).toHaveLength(3);
    expect(events.at(-1)).toMatchObject({ type: 'notify.fallback', notificationId: 'down' });
  });

  it('is used when no HTTP/email channel is configured, and a file channel on the same path writes one line', async () => {
    const n = notifier({ specs: [spec({ kind: 'file', path: 'monitor_logs/notification_fallback.jsonl' })], env: {} });
    n.send(note({ id: 'only-file' }));
    await drive(clock, () => n.pending());
    const lines = await fallbackLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ kind: 'fallback', id: 'only-file', fallback: { reason: 'no HTTP or email channel configured' } });
  });

  it('a file channel is a delivery of its own; the fallback file stays empty when a webhook delivers', async () => {
    const r = await receiver(() => ({ status: 200 }));
    const n = notifier({
      specs: [spec({ kind: 'webhook', urlEnv: 'HOOK' }), spec({ kind: 'file', path: 'logs/notifications.jsonl' })],
      env: { HOOK: r.url('/h') },
    });
    n.send(note({ id: 'a' }));
    n.send(note({ id: 'b', event: 'action.finished', severity: 'info', gates: undefined, title: 'Promote finished' }));
    await drive(clock, () => n.pending());
    const log = (await readFile(join(dir, 'logs/notifications.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(log.map((l) => [l.kind, l.id])).toEqual([
      ['notification', 'a'],
      ['notification', 'b'],
    ]);
    expect(r.requests).toHaveLength(2);
    expect(await fallbackLines()).toEqual([]);
  });

  it('filters by event and minSeverity per channel', async () => {
    const crit = await receiver(() => ({ status: 200 }));
    const actions = await receiver(() => ({ status: 200 }));
    const n = notifier({
      specs: [
        spec({ kind: 'webhook', urlEnv: 'CRIT', minSeverity: 'critical' }),
        spec({ kind: 'webhook', urlEnv: 'ACT', events: ['action.*', 'override'] }),
      ],
      env: { CRIT: crit.url('/c'), ACT: actions.url('/a') },
    });
    n.send(note({ id: 'g', severity: 'critical' }));
    n.send(note({ id: 'w', severity: 'warning', event: 'gate.failing', gates: [] , title: 'warn' }));
    n.send(note({ id: 's', severity: 'info', event: 'action.started', gates: undefined, title: 'Promote started' }));
    await drive(clock, () => n.pending());
    expect(crit.requests.map((q) => JSON.parse(q.body).id)).toEqual(['g']);
    expect(actions.requests.map((q) => JSON.parse(q.body).id)).toEqual(['s']);
    // 'w' matched no channel's filter: it is kept in the fallback file rather than lost.
    const lines = await fallbackLines();
    expect(lines.map((l) => [l.id, l.fallback.reason])).toEqual([['w', 'no HTTP or email channel accepts this notification']]);
  });
});

describe('isolation', () => {
  it('a slow receiver delays neither send() nor another channel', async () => {
    let holding = true;
    const slow = await receiver(() => (holding ? 'hold' : { status: 200 }));
    const fast = await receiver(() => ({ status: 200 }));
    const n = notifier({
      specs: [spec({ kind: 'slack', urlEnv: 'SLOW', timeout: 20_000 }), spec({ kind: 'teams', urlEnv: 'FAST' })],
      env: { SLOW: slow.url('/services/x/y/z'), FAST: fast.url('/workflows/abc/triggers/manual') },
    });
    const started = performance.now();
    for (let i = 0; i < 20; i++) n.send(note({ id: `m${i}`, stage: `s${i}` }));
    expect(performance.now() - started).toBeLessThan(50);

    const fastDelivered = (): number => events.filter((e) => e.type === 'notify.delivered' && e.channel.startsWith('teams')).length;
    await waitUntil(() => fastDelivered() === 20, 'the fast channel to deliver all 20');
    expect(fast.requests).toHaveLength(20);
    expect(slow.requests).toHaveLength(1); // still holding the first one
    expect(n.pending()).toBe(20);

    holding = false;
    slow.release({ status: 200 });
    await drive(clock, () => n.pending());
    expect(slow.requests).toHaveLength(20);
  });
});

describe('payload shapes on the wire', () => {
  it('Slack gets blocks with a text fallback, Teams an Adaptive Card envelope, Discord an embed coloured by severity', async () => {
    const slack = await receiver(() => ({ status: 200, body: 'ok' }));
    const teams = await receiver(() => ({ status: 202 }));
    const discord = await receiver(() => ({ status: 204 }));
    const hook = await receiver(() => ({ status: 200 }));
    const n = notifier({
      specs: [
        spec({ kind: 'slack', urlEnv: 'S' }),
        spec({ kind: 'teams', urlEnv: 'T' }),
        spec({ kind: 'discord', urlEnv: 'D' }),
        spec({ kind: 'webhook', urlEnv: 'W', headers: { Authorization: { env: 'HOOK_AUTH' } } }),
      ],
      env: {
        S: slack.url('/services/T0/B0/abc'),
        T: teams.url('/workflows/1/triggers/manual/paths/invoke?sig=s1g'),
        D: discord.url('/api/webhooks/1/tok'),
        W: hook.url('/in'),
        HOOK_AUTH: 'Bearer hook-token-777',
      },
    });
    const ov = note({
      id: 'ov1',
      event: 'override',
      severity: 'warning',
      title: 'Promotion override by alice',
      operator: 'alice',
      reason: 'pool saturation is a known false positive',
      override: { manual_override: true, override_acknowledged: true, override_reason: 'pool saturation is a known false positive' },
    });
    n.send(ov);
    n.send(note({ id: 'crit' }));
    await drive(clock, () => n.pending());

    const s = slack.json(0);
    expect(slack.requests[0]!.headers['content-type']).toMatch(/^application\/json/);
    expect(s.text).toBe('[WARNING] Promotion override by alice — dhash/production · canary-10');
    expect(s.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: ':warning: Promotion override by alice', emoji: true } });
    const fields = s.blocks.find((b: any) => b.fields).fields.map((f: any) => f.text);
    expect(fields).toContain('*Operator*\nalice');
    expect(fields.some((f: string) => f.startsWith('*Override*') && f.includes('known false positive'))).toBe(true);

    const t = teams.json(0);
    expect(t.type).toBe('message');
    expect(t.attachments).toHaveLength(1);
    expect(t.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(t.attachments[0].content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    expect(t.attachments[0].content.body[0]).toMatchObject({ type: 'TextBlock', text: '[WARNING] Promotion override by alice' });
    expect(t.attachments[0].content.body.find((b: any) => b.type === 'FactSet').facts).toContainEqual({ title: 'Operator', value: 'alice' });
    expect(teams.requests[0]!.path).toBe('/workflows/1/triggers/manual/paths/invoke?sig=s1g');

    const d0 = discord.json(0);
    const d1 = discord.json(1);
    expect(d0.embeds[0].color).toBe(0xf1c40f);
    expect(d1.embeds[0].color).toBe(0xe74c3c);
    expect(d1.embeds[0].title).toBe('extraction-failure-rate is failing');
    expect(d1.embeds[0].description).toContain('extraction-failure-rate: failing (7.1%, threshold > 0.05)');
    expect(d1.allowed_mentions).toEqual({ parse: [] });

    const w = hook.json(0);
    expect(hook.requests[0]!.headers.authorization).toBe('Bearer hook-token-777');
    expect(w).toMatchObject({
      schema: 'flightdeck.notification/v1',
      id: 'ov1',
      event: 'override',
      override: { manual_override: true, override_acknowledged: true, override_reason: 'pool saturation is a known false positive' },
    });
  });
});

describe('grouping', () => {
  it('sends the first of a storm, then one "(repeated N times)" summary when the window closes', async () => {
    const r = await receiver(() => ({ status: 200 }));
    const n = notifier({ specs: [spec({ kind: 'webhook', urlEnv: 'H' })], env: { H: r.url('/h') }, groupWindowMs: 60_000 });
    for (let i = 0; i < 5; i++) {
      n.send(note({ id: `storm-${i}` }));
      await clock.advance(1_000);
    }
    n.send(note({ id: 'other', gates: [{ id: 'p95-hash-time', state: 'failing', display: '2.4s', threshold: '> 2000' }] }));
    n.send(note({ id: 'ov', event: 'override', title: 'override' }));
    n.send(note({ id: 'ov2', event: 'override', title: 'override' }));
    await waitUntil(() => r.requests.length === 4, 'first, other gate, two overrides');
    await settle();
    expect(r.requests.map((q) => JSON.parse(q.body).id)).toEqual(['storm-0', 'other', 'ov', 'ov2']);

    await clock.advance(55_000); // 60 s after storm-0
    await waitUntil(() => r.requests.length === 5, 'the summary');
    const summary = r.json(4);
    expect(summary.title).toBe('extraction-failure-rate is failing (repeated 4 times)');
    expect(summary.details).toMatchObject({ repeated: 4, firstId: 'storm-0', lastId: 'storm-4' });
    await settle();
    expect(r.requests).toHaveLength(5); // 'other' had no repeats: no summary
  });

  it('flush() sends the summaries of open windows', async () => {
    const r = await receiver(() => ({ status: 200 }));
    const n = notifier({ specs: [spec({ kind: 'webhook', urlEnv: 'H' })], env: { H: r.url('/h') }, groupWindowMs: 60_000 });
    n.send(note());
    n.send(note());
    const f = n.flush(5_000);
    await waitUntil(() => r.requests.length === 2, 'first and summary');
    await f;
    expect(r.json(1).title).toMatch(/\(repeated 1 time\)$/);
  });
});

describe('secrets', () => {
  const SENTINEL = 'SENTINEL-SECRET-123';

  it('never shows the webhook secret in events, errors, the fallback file or describe()', async () => {
    // A receiver that echoes the path it was called on in its error body.
    const r = await receiver((_, req) => ({ status: 500, body: `no such hook ${req.path}` }));
    const port = await closedPort();
    // A transport whose errors name the full URL (as a verbose transport could).
    const inner = createHttpTransport();
    const verbose: HttpTransport = {
      async request(req) {
        try {
          return await inner.request(req);
        } catch (err) {
          throw new HttpError((err as HttpError).kind ?? 'unreachable', `POST ${req.url} failed: ${(err as Error).message}`);
        }
      },
      close: () => inner.close(),
    };
    cleanups.push(() => verbose.close());
    const n = notifier({
      specs: [
        spec({ kind: 'webhook', urlEnv: 'A', retries: 1 }),
        spec({ kind: 'slack', urlEnv: 'B', retries: 1 }),
        spec({ kind: 'webhook', urlEnv: 'C', retries: 0, headers: { 'X-Token': { env: 'TOKEN' } } }),
      ],
      env: {
        A: r.url(`/hooks/${SENTINEL}`),
        B: `http://127.0.0.1:${port}/hooks/${SENTINEL}?token=${SENTINEL}`,
        C: `http://user:${SENTINEL}@127.0.0.1:${port}/x`,
        TOKEN: `tok-${SENTINEL}`,
      },
      transport: verbose,
    });
    n.send(note({ id: 's1' }));
    await drive(clock, () => n.pending());

    expect(r.requests.length).toBe(2);
    expect(r.requests[0]!.path).toBe(`/hooks/${SENTINEL}`); // it did use the secret URL
    const everything = [
      JSON.stringify(events),
      await readFile(join(dir, 'monitor_logs/notification_fallback.jsonl'), 'utf8'),
      JSON.stringify(n.describe()),
      JSON.stringify(n.undelivered()),
    ].join('\n');
    expect(everything).not.toContain(SENTINEL);
    expect(everything).not.toContain('SECRET');
    expect(n.describe()).toEqual([
      `webhook(http://127.0.0.1:${r.port}/hooks…/****)`,
      `slack(http://127.0.0.1:${port}/hooks…/****)`,
      `webhook(http://127.0.0.1:${port}/x…/****)`,
    ]);
    // The errors still say what went wrong.
    expect(events.find((e) => e.type === 'notify.failed' && e.channel.startsWith('webhook(http://127.0.0.1:' + r.port))!.error).toMatch(
      /^HTTP 500: no such hook /,
    );
  });

  it('a configuration error names the variable, never the value', () => {
    expect(() =>
      createNotifier({
        specs: [spec({ kind: 'slack', urlEnv: 'SLACK' }), spec({ kind: 'discord', urlEnv: 'MISSING' })],
        env: { SLACK: `ftp://${SENTINEL}` },
        planDir: dir,
        fallbackFile: 'f.jsonl',
        clock,
      }),
    ).toThrowError(/notify\[0\] \(slack\): the webhook URL from SLACK is not an http\(s\) URL; notify\[1\] \(discord\): environment variable MISSING/);
    try {
      createNotifier({ specs: [spec({ kind: 'slack', urlEnv: 'SLACK' })], env: { SLACK: `ftp://${SENTINEL}` }, planDir: dir, fallbackFile: 'f', clock });
    } catch (err) {
      expect(String(err)).not.toContain(SENTINEL);
    }
  });
});

describe('flush', () => {
  it('is bounded by clock time; what is still pending goes to the fallback file as "flush timeout"', async () => {
    const r = await receiver(() => 'hold');
    const n = notifier({ specs: [spec({ kind: 'webhook', urlEnv: 'H', timeout: 30_000 })], env: { H: r.url('/h') } });
    n.send(note({ id: 'stuck' }));
    await waitUntil(() => r.requests.length === 1, 'the request');
    let done = false;
    const f = n.flush(3_000).then(() => {
      done = true;
    });
    await clock.advance(2_999);
    await settle();
    expect(done).toBe(false);
    await clock.advance(1);
    await f;
    expect(n.pending()).toBe(0);
    const lines = await fallbackLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ id: 'stuck', fallback: { reason: 'flush timeout' } });
    expect(Object.values(lines[0].fallback.channels)).toEqual(['flush timeout']);
    expect(events.map((e) => e.type)).toEqual(['notify.failed', 'notify.fallback']);
  });

  it('gives up at once on a retry whose Retry-After falls after the flush deadline', async () => {
    const r = await receiver(() => ({ status: 503, headers: { 'retry-after': '30' } }));
    const n = notifier({ specs: [spec({ kind: 'webhook', urlEnv: 'H' })], env: { H: r.url('/h') } });
    n.send(note({ id: 'backing-off' }));
    await waitUntil(() => r.requests.length === 1 && clock.pending > 0, 'the first attempt');
    const t0 = clock.now();
    await n.flush(1_000); // no clock advance: waiting 30 s cannot fit in 1 s
    expect(clock.now()).toBe(t0);
    const lines = await fallbackLines();
    expect(lines[0].fallback.reason).toBe('every channel failed');
    expect(Object.values(lines[0].fallback.channels)).toEqual(['HTTP 503 (gave up: the next attempt falls after the delivery wait ends)']);
    expect(r.requests).toHaveLength(1);
  });

  it('gives up on a retry still waiting out its backoff when the flush times out', async () => {
    const r = await receiver((i) => (i === 0 ? { status: 503, headers: { 'retry-after': '1' } } : 'hold'));
    const n = notifier({ specs: [spec({ kind: 'webhook', urlEnv: 'H' })], env: { H: r.url('/h') } });
    n.send(note({ id: 'slow' }));
    await waitUntil(() => r.requests.length === 1 && clock.pending > 0, 'the first attempt');
    const f = n.flush(2_000);
    await clock.advance(1_000);
    await waitUntil(() => r.requests.length === 2, 'the retry, held by the receiver');
    await clock.advance(1_000);
    await f;
    const lines = await fallbackLines();
    expect(lines[0].fallback.reason).toBe('flush timeout');
    expect(Object.values(lines[0].fallback.channels)).toEqual(['HTTP 503 (gave up: flush timeout)']);
  });

  it('honours Retry-After within the flush deadline: waits, delivers, no fallback', async () => {
    const r = await receiver((i) => (i < 2 ? { status: 429, headers: { 'retry-after': '3' } } : { status: 200 }));
    const n = notifier({ specs: [spec({ kind: 'slack', urlEnv: 'H' })], env: { H: r.url('/services/T/B/X') } });
    const seen: string[] = [];
    n.watch((ev) => seen.push(`${ev.type}${ev.retryInMs !== undefined ? ` ${ev.retryInMs}` : ''}`));
    const t0 = clock.now();
    n.send(note({ id: 'patient' }));
    await waitUntil(() => r.requests.length === 1 && clock.pending > 0, 'the first attempt');
    const f = n.flush(30_000);
    expect(n.waiting()).toEqual([expect.objectContaining({ event: 'gate.failing', attempt: 1, lastError: 'HTTP 429', nextAttemptAt: t0 + 3_000 })]);
    await clock.advance(3_000);
    await waitUntil(() => r.requests.length === 2 && clock.pending > 1, 'the second attempt');
    await clock.advance(3_000);
    await f;
    expect(r.requests.map((q) => q.at - t0)).toEqual([0, 3_000, 6_000]);
    expect(seen).toEqual(['notify.retry 3000', 'notify.retry 3000', 'notify.delivered']);
    expect(await fallbackLines()).toEqual([]);
  });

  it('returns at once when the queues drain', async () => {
    const r = await receiver(() => ({ status: 200 }));
    const n = notifier({ specs: [spec({ kind: 'webhook', urlEnv: 'H' })], env: { H: r.url('/h') } });
    n.send(note());
    await n.flush(10_000); // no clock advance: resolves because the delivery finished
    expect(r.requests).toHaveLength(1);
    expect(await fallbackLines()).toEqual([]);
  });
});
