/**
 * The dispatcher with an injected transport (the network is injected by
 * design): bad input, queue bounds, close(), listener failures, the
 * Retry-After cap, error classes, and concurrency across channels.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flushMicrotasks, ManualClock } from '../../src/clock.js';
import { createNotifier, type Notifier, type NotifierOptions } from '../../src/notify/dispatcher.js';
import type { DeliveryEvent, Notification } from '../../src/notify/types.js';
import type { NotifierSpec } from '../../src/plan/schema.js';
import { HttpError, type HttpRequest, type HttpResponse, type HttpTransport } from '../../src/sources/types.js';

interface Call {
  req: HttpRequest;
  at: number;
}

/** A transport answering through `answer`; records calls and how many were in flight at once. */
function scripted(clock: ManualClock, answer: (call: Call, index: number) => Promise<HttpResponse>) {
  const calls: Call[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const transport: HttpTransport = {
    async request(req) {
      const call = { req, at: clock.now() };
      calls.push(call);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await answer(call, calls.length - 1);
      } finally {
        inFlight--;
      }
    },
    close: async () => undefined,
  };
  return { transport, calls, maxInFlight: () => maxInFlight };
}

const ok = (status = 200, headers: Record<string, string> = {}): HttpResponse => ({ status, headers, body: '', latencyMs: 1 });
/** Never answers until the request is aborted. */
const hang = (call: Call): Promise<HttpResponse> =>
  new Promise((_, reject) => call.req.signal?.addEventListener('abort', () => reject(new HttpError('aborted', 'aborted'))));

const spec = (s: Partial<NotifierSpec> & Pick<NotifierSpec, 'kind'>): NotifierSpec => ({ timeout: 1_000, retries: 3, ...s }) as NotifierSpec;

let dir: string;
let clock: ManualClock;
let events: DeliveryEvent[];
const open: Notifier[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-notify-unit-'));
  clock = new ManualClock();
  events = [];
});
afterEach(async () => {
  for (const n of open.splice(0)) await n.close();
  await rm(dir, { recursive: true, force: true });
});

function make(o: Partial<NotifierOptions> & Pick<NotifierOptions, 'specs'>): Notifier {
  const n = createNotifier({
    env: { A: 'https://a.example.com/hook/secret-a', B: 'https://b.example.com/hook/secret-b' },
    planDir: dir,
    fallbackFile: 'fallback.jsonl',
    clock,
    groupWindowMs: 0,
    random: () => 1,
    onDelivery: (e) => events.push(e),
    ...o,
  });
  open.push(n);
  return n;
}

async function untilIdle(n: Notifier): Promise<void> {
  for (let i = 0; i < 500 && n.pending() > 0; i++) {
    const next = clock.nextTimerAt();
    if (next !== undefined) await clock.advanceTo(next);
    // No timer due: the notifier is waiting on real I/O (the fallback file), which takes real time on a busy machine.
    else await new Promise((r) => setTimeout(r, 5));
  }
  expect(n.pending()).toBe(0);
}

async function fallback(): Promise<any[]> {
  try {
    return (await readFile(join(dir, 'fallback.jsonl'), 'utf8')).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}

const note = (over: Partial<Notification> = {}): Notification => ({
  id: 'n',
  event: 'test',
  severity: 'info',
  at: clock.now(),
  service: 's',
  environment: 'e',
  title: 't',
  text: '',
  ...over,
});

describe('dispatcher', () => {
  it('send() never throws on bad input and fills in what it can', async () => {
    const t = scripted(clock, async () => ok());
    const n = make({ specs: [spec({ kind: 'webhook', urlEnv: 'A' })], transport: t.transport });
    expect(() => n.send(null as unknown as Notification)).not.toThrow();
    expect(n.undelivered().lastError).toBe('invalid notification: a notification must be an object');
    n.send({ event: 'test', title: 'hi', severity: 'loud' } as unknown as Notification);
    await untilIdle(n);
    const body = JSON.parse(t.calls[0]!.req.body!);
    expect(body).toMatchObject({ event: 'test', title: 'hi', severity: 'info', at: clock.now(), text: '' });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends to every channel concurrently', async () => {
    const release: Array<() => void> = [];
    const t = scripted(clock, () => new Promise((r) => release.push(() => r(ok()))));
    const n = make({ specs: [spec({ kind: 'webhook', urlEnv: 'A' }), spec({ kind: 'slack', urlEnv: 'B' })], transport: t.transport });
    n.send(note());
    await flushMicrotasks();
    expect(t.maxInFlight()).toBe(2);
    release.forEach((r) => r());
    await untilIdle(n);
    expect(events.filter((e) => e.type === 'notify.delivered')).toHaveLength(2);
  });

  it('caps a server Retry-After at 60 s', async () => {
    const t = scripted(clock, async (_, i) => (i === 0 ? ok(429, { 'retry-after': '3600' }) : ok()));
    const n = make({ specs: [spec({ kind: 'webhook', urlEnv: 'A' })], transport: t.transport });
    const t0 = clock.now();
    n.send(note());
    await untilIdle(n);
    expect(t.calls.map((c) => c.at - t0)).toEqual([0, 60_000]);
  });

  it('retries timeouts, network errors and 408; not 404 nor an oversized answer', async () => {
    const answers: Array<() => HttpResponse> = [
      () => {
        throw new HttpError('timeout', 'timed out');
      },
      () => {
        throw new HttpError('unreachable', 'refused');
      },
      () => ok(408),
      () => ok(404),
    ];
    const t = scripted(clock, async (_, i) => answers[i]!());
    const n = make({ specs: [spec({ kind: 'webhook', urlEnv: 'A', retries: 10 })], transport: t.transport });
    n.send(note());
    await untilIdle(n);
    expect(t.calls).toHaveLength(4);
    expect(events.map((e) => e.type)).toEqual(['notify.retry', 'notify.retry', 'notify.retry', 'notify.failed', 'notify.fallback']);

    const t2 = scripted(clock, async () => {
      throw new HttpError('too_large', 'too big');
    });
    const n2 = make({ specs: [spec({ kind: 'webhook', urlEnv: 'A' })], transport: t2.transport });
    n2.send(note());
    await untilIdle(n2);
    expect(t2.calls).toHaveLength(1);
  });

  it('bounds each channel queue: the oldest waiting notification gives up with "queue full"', async () => {
    const t = scripted(clock, hang);
    const n = make({ specs: [spec({ kind: 'webhook', urlEnv: 'A' })], transport: t.transport });
    for (let i = 0; i < 103; i++) n.send(note({ id: `q${i}` }));
    await flushMicrotasks();
    const lines = await waitForLines(2);
    // q0 is in flight; q1 and q2 were the oldest waiting.
    expect(lines.map((l) => [l.id, Object.values(l.fallback.channels)[0]])).toEqual([
      ['q1', 'queue full: the channel is not keeping up'],
      ['q2', 'queue full: the channel is not keeping up'],
    ]);
    expect(n.pending()).toBe(101);
  });

  it('close() gives up on pending work into the fallback file, and later sends go there too', async () => {
    const t = scripted(clock, hang);
    const n = make({ specs: [spec({ kind: 'webhook', urlEnv: 'A' })], transport: t.transport });
    n.send(note({ id: 'p' }));
    await flushMicrotasks();
    await n.close();
    n.send(note({ id: 'late' }));
    await waitForLines(2);
    expect((await fallback()).map((l) => [l.id, l.fallback.reason])).toEqual([
      ['p', 'notifier closed'],
      ['late', 'notifier closed'],
    ]);
    expect(t.calls[0]!.req.signal?.aborted).toBe(true);
  });

  it('a listener that throws changes nothing', async () => {
    const t = scripted(clock, async () => ok());
    const n = make({
      specs: [spec({ kind: 'webhook', urlEnv: 'A' })],
      transport: t.transport,
      onDelivery: () => {
        throw new Error('listener bug');
      },
    });
    n.send(note());
    await untilIdle(n);
    expect(t.calls).toHaveLength(1);
    expect(n.undelivered()).toEqual({ count: 0 });
  });

  it('describe() lists redacted channel names', () => {
    const n = make({ specs: [spec({ kind: 'slack', urlEnv: 'A' }), spec({ kind: 'file', path: 'x.jsonl' })], transport: scripted(clock, async () => ok()).transport });
    expect(n.describe()).toEqual(['slack(https://a.example.com/hook…/****)', 'file(x.jsonl)']);
  });
});

async function waitForLines(count: number): Promise<any[]> {
  for (let i = 0; i < 200; i++) {
    const lines = await fallback();
    if (lines.length >= count) return lines;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`fallback file never reached ${count} lines`);
}
