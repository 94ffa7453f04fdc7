/**
 * The notifier: a queue per channel, retries with exponential backoff and
 * full jitter (Retry-After honoured), grouping of repeats, and a JSONL
 * fallback file for what no HTTP/email channel took. `send()` only enqueues:
 * a slow or dead channel never delays the caller or another channel.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { Clock } from '../clock.js';
import type { NotifierSpec } from '../plan/schema.js';
import type { HttpTransport } from '../sources/types.js';
import { createChannels } from './config.js';
import { appendJsonl } from './file.js';
import { DEFAULT_GROUP_WINDOW_MS, RepeatGrouper } from './group.js';
import { makeScrubber } from './redact.js';
import { backoffDelay, RETRY_AFTER_CAP_MS } from './retry.js';
import { createHttpTransport } from '../sources/http.js';
import { DeliveryError, SEVERITIES, type Channel, type DeliveryEvent, type Notification } from './types.js';

export interface NotifierOptions {
  specs: readonly NotifierSpec[];
  env: Record<string, string | undefined>;
  /** Relative `path`, `urlFile` and `passwordFile` are read from here. */
  planDir: string;
  /** Where notifications go when no HTTP/email channel delivered them (relative to planDir). */
  fallbackFile: string;
  clock: Clock;
  transport?: HttpTransport;
  /** Default 60 s; 0 turns grouping off. */
  groupWindowMs?: number;
  /** For the jitter; default Math.random. */
  random?: () => number;
  onDelivery?(ev: DeliveryEvent): void;
}

export interface Notifier {
  /** Enqueues; never blocks, never throws. */
  send(n: Notification): void;
  /** Notifications accepted by send() whose delivery (or fallback) is not finished. */
  pending(): number;
  /** Notifications that went to the fallback file, and the last (redacted) error seen. */
  undelivered(): { count: number; lastError?: string };
  /**
   * Waits up to `timeoutMs` of clock time; what is still pending then goes to the fallback file ('flush timeout').
   * Meanwhile a retry whose next attempt (Retry-After or backoff) falls after that deadline is given up at once.
   * Aborting `signal` gives up on what is pending now.
   */
  flush(timeoutMs: number, signal?: AbortSignal): Promise<void>;
  /** What is still being delivered: one entry per channel and notification not finished. */
  waiting(): PendingDelivery[];
  /** Listens to delivery events besides `onDelivery` (for a command showing progress); returns the unsubscribe. */
  watch(cb: (ev: DeliveryEvent) => void): () => void;
  /** Redacted channel names, e.g. `slack(https://hooks.slack.com/services…/****)`. */
  describe(): string[];
  /** Sends what is grouped, gives up on what is pending (to the fallback file), closes connections. */
  close(): Promise<void>;
}

export interface PendingDelivery {
  channel: string;
  event: string;
  title: string;
  /** Attempts made so far. */
  attempt: number;
  lastError?: string;
  /** Clock time of the next attempt, while waiting for a retry. */
  nextAttemptAt?: number;
}

/** Jobs waiting per channel beyond which the oldest is given up ('queue full'). */
const MAX_QUEUE = 100;

interface Tracked {
  n: Notification;
  /** Jobs not finished (network and file channels). */
  remaining: number;
  netJobs: number;
  delivered: string[];
  errors: Record<string, string>;
  /** File channels writing to the fallback file itself: one line, written at the end. */
  twins: Channel[];
  cancelReason?: string;
}

interface Job {
  tracked: Tracked;
  abort: AbortController;
  done: boolean;
  lastError?: string;
  attempt: number;
  nextAttemptAt?: number;
}

interface Lane {
  channel: Channel;
  queue: Job[];
  current?: Job;
  running: boolean;
}

const isNet = (c: Channel): boolean => c.kind !== 'file';

/** Builds the notifier. Throws NotifierConfigError (naming variables and files, never values) on bad config. */
export function createNotifier(opts: NotifierOptions): Notifier {
  const clock = opts.clock;
  const random = opts.random ?? Math.random;
  // Errors of the shared transport name the URL's path, which for a webhook is the secret: every error is scrubbed below.
  const ownTransport = opts.transport ? undefined : createHttpTransport({ connections: 4 });
  const transport = opts.transport ?? ownTransport!;
  let channels: Channel[];
  try {
    channels = createChannels(opts.specs, { env: opts.env, planDir: opts.planDir, transport, now: () => clock.now() });
  } catch (err) {
    void ownTransport?.close();
    throw err;
  }
  const fallbackPath = resolve(opts.planDir, opts.fallbackFile);
  const fallbackName = `fallback(${opts.fallbackFile})`;
  const scrub = makeScrubber(channels.flatMap((c) => c.secrets));
  const lanes = new Map<Channel, Lane>(channels.map((c) => [c, { channel: c, queue: [], running: false }]));
  const hasNet = channels.some(isNet);
  const open = new Set<Tracked>();
  const idleWaiters: Array<() => void> = [];
  let undeliveredCount = 0;
  let lastError: string | undefined;
  let closed = false;
  /** Set while flush() waits: no retry is scheduled past it. */
  let deadline: number | undefined;
  const watchers = new Set<(ev: DeliveryEvent) => void>();

  const emit = (type: DeliveryEvent['type'], channel: string, n: Notification, attempt: number, error?: string, retryInMs?: number): void => {
    const ev: DeliveryEvent = { type, channel, notificationId: n.id, attempt, at: clock.now(), event: n.event, title: n.title };
    if (error !== undefined) ev.error = error;
    if (retryInMs !== undefined) ev.retryInMs = retryInMs;
    for (const cb of [opts.onDelivery, ...watchers]) {
      try {
        cb?.(ev);
      } catch {
        // A listener's failure is not the notifier's.
      }
    }
  };

  const grouper = new RepeatGrouper(clock, opts.groupWindowMs ?? DEFAULT_GROUP_WINDOW_MS, (n) => dispatch(n), () => randomUUID());

  function dispatch(n: Notification): void {
    const targets = channels.filter((c) => safeAccepts(c, n));
    const twins = targets.filter((c) => !isNet(c) && (c as Channel & { path?: string }).path === fallbackPath);
    const direct = targets.filter((c) => !twins.includes(c));
    const tracked: Tracked = { n, remaining: direct.length, netJobs: direct.filter(isNet).length, delivered: [], errors: {}, twins };
    open.add(tracked);
    for (const c of direct) enqueue(lanes.get(c)!, { tracked, abort: new AbortController(), done: false, attempt: 0 });
    if (tracked.remaining === 0) void finalize(tracked);
  }

  function enqueue(lane: Lane, job: Job): void {
    lane.queue.push(job);
    while (lane.queue.length > MAX_QUEUE) {
      const dropped = lane.queue.shift()!;
      finishJob(lane.channel, dropped, false, 'queue full: the channel is not keeping up');
    }
    pump(lane);
  }

  function pump(lane: Lane): void {
    if (lane.running) return;
    lane.running = true;
    void (async () => {
      try {
        for (let job = lane.queue.shift(); job; job = lane.queue.shift()) {
          if (job.done) continue;
          lane.current = job;
          await runJob(lane.channel, job);
          lane.current = undefined;
        }
      } finally {
        lane.running = false;
        if (lane.queue.length > 0) pump(lane);
      }
    })();
  }

  async function runJob(ch: Channel, job: Job): Promise<void> {
    const n = job.tracked.n;
    for (;;) {
      if (job.done) return;
      job.attempt++;
      try {
        await ch.deliver(n, { signal: job.abort.signal });
        if (job.done) return;
        emit('notify.delivered', ch.name, n, job.attempt);
        finishJob(ch, job, true);
        return;
      } catch (err) {
        if (job.done) return;
        const de = err instanceof DeliveryError ? err : new DeliveryError(err instanceof Error ? err.message : String(err), true);
        const message = scrub(de.message);
        job.lastError = message;
        if (!de.retryable || job.attempt > ch.retries) {
          emit('notify.failed', ch.name, n, job.attempt, message);
          finishJob(ch, job, false, message);
          return;
        }
        const wait =
          de.retryAfterMs !== undefined ? Math.min(de.retryAfterMs, RETRY_AFTER_CAP_MS) : backoffDelay(job.attempt - 1, random);
        if (deadline !== undefined && clock.now() + wait > deadline) {
          const why = `${message} (gave up: the next attempt, in ${Math.ceil(wait / 1000)} s${de.retryAfterMs !== undefined ? ' as Retry-After asks' : ''}, falls after the delivery wait ends)`;
          emit('notify.failed', ch.name, n, job.attempt, why);
          finishJob(ch, job, false, why);
          return;
        }
        emit('notify.retry', ch.name, n, job.attempt, message, wait);
        job.nextAttemptAt = clock.now() + wait;
        try {
          await clock.sleep(wait, job.abort.signal);
        } catch {
          return; // cancelled: whoever aborted has settled the job
        } finally {
          job.nextAttemptAt = undefined;
        }
      }
    }
  }

  function finishJob(ch: Channel, job: Job, ok: boolean, error?: string): void {
    if (job.done) return;
    job.done = true;
    const t = job.tracked;
    if (ok) t.delivered.push(ch.name);
    else if (error !== undefined) {
      t.errors[ch.name] = error;
      if (isNet(ch)) lastError = `${ch.name}: ${error}`;
    }
    t.remaining--;
    if (t.remaining === 0) void finalize(t);
  }

  async function finalize(t: Tracked): Promise<void> {
    try {
      const netDelivered = t.delivered.some((name) => channels.some((c) => c.name === name && isNet(c)));
      if (!netDelivered) {
        const reason =
          t.cancelReason ??
          (!hasNet
            ? 'no HTTP or email channel configured'
            : t.netJobs === 0
              ? 'no HTTP or email channel accepts this notification'
              : 'every channel failed');
        await writeFallback(t, reason);
        for (const twin of t.twins) emit('notify.delivered', twin.name, t.n, 1);
      } else {
        for (const twin of t.twins) {
          try {
            await twin.deliver(t.n, { signal: new AbortController().signal });
            emit('notify.delivered', twin.name, t.n, 1);
          } catch (err) {
            const msg = scrub(err instanceof Error ? err.message : String(err));
            lastError = `${twin.name}: ${msg}`;
            emit('notify.failed', twin.name, t.n, 1, msg);
          }
        }
      }
    } finally {
      open.delete(t);
      if (open.size === 0) for (const w of idleWaiters.splice(0)) w();
    }
  }

  async function writeFallback(t: Tracked, reason: string): Promise<void> {
    undeliveredCount++;
    const record = { kind: 'fallback', ...t.n, fallback: { reason, at: clock.now(), channels: t.errors } };
    try {
      await appendJsonl(fallbackPath, record);
      emit('notify.fallback', fallbackName, t.n, 0, reason);
    } catch (err) {
      const msg = `cannot append to ${opts.fallbackFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`;
      lastError = `${fallbackName}: ${msg}`;
      emit('notify.failed', fallbackName, t.n, 0, msg);
    }
  }

  /** Gives up on every queued, sleeping or in-flight delivery. */
  function cancelAll(reason: string): void {
    for (const lane of lanes.values()) {
      const jobs = [...(lane.current ? [lane.current] : []), ...lane.queue];
      lane.queue = [];
      for (const job of jobs) {
        if (job.done) continue;
        job.tracked.cancelReason = reason;
        job.abort.abort();
        const error = job.lastError ? `${job.lastError} (gave up: ${reason})` : reason;
        emit('notify.failed', lane.channel.name, job.tracked.n, job.attempt, error);
        finishJob(lane.channel, job, false, error);
      }
    }
  }

  function waitIdle(): Promise<void> {
    if (open.size === 0) return Promise.resolve();
    return new Promise((r) => idleWaiters.push(r));
  }

  function normalise(raw: Notification): Notification {
    if (!raw || typeof raw !== 'object') throw new Error('a notification must be an object');
    const str = (v: unknown, d: string): string => (typeof v === 'string' ? v : d);
    const event = str(raw.event, 'unknown');
    return {
      ...raw,
      id: str(raw.id, '') || randomUUID(),
      event,
      severity: (SEVERITIES as readonly string[]).includes(raw.severity) ? raw.severity : 'info',
      at: typeof raw.at === 'number' && Number.isFinite(raw.at) ? raw.at : clock.now(),
      service: str(raw.service, ''),
      environment: str(raw.environment, ''),
      title: str(raw.title, '') || event,
      text: str(raw.text, ''),
      gates: Array.isArray(raw.gates) ? raw.gates : undefined,
    };
  }

  async function flush(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    grouper.closeAll();
    if (open.size === 0) return;
    if (timeoutMs > 0 && !signal?.aborted) {
      deadline = clock.now() + timeoutMs;
      const stop = new AbortController();
      const timedOut = clock.sleep(timeoutMs, stop.signal).then(
        () => true,
        () => false,
      );
      const interrupted = new Promise<boolean>((r) => {
        signal?.addEventListener('abort', () => r(true), { once: true });
        stop.signal.addEventListener('abort', () => r(false), { once: true });
      });
      // Jobs already asleep past the deadline give up now rather than at the end of the wait.
      for (const lane of lanes.values()) {
        const job = lane.current;
        if (job && !job.done && job.nextAttemptAt !== undefined && job.nextAttemptAt > deadline) {
          const why = `${job.lastError ?? 'waiting to retry'} (gave up: the next attempt falls after the delivery wait ends)`;
          job.abort.abort();
          emit('notify.failed', lane.channel.name, job.tracked.n, job.attempt, why);
          finishJob(lane.channel, job, false, why);
        }
      }
      const late = await Promise.race([waitIdle().then(() => false), timedOut, interrupted]);
      stop.abort();
      deadline = undefined;
      if (!late) return;
    }
    cancelAll(signal?.aborted ? 'delivery wait interrupted' : 'flush timeout');
    await waitIdle();
  }

  function waiting(): PendingDelivery[] {
    const out: PendingDelivery[] = [];
    for (const lane of lanes.values()) {
      for (const job of [...(lane.current ? [lane.current] : []), ...lane.queue]) {
        if (job.done) continue;
        const p: PendingDelivery = { channel: lane.channel.name, event: job.tracked.n.event, title: job.tracked.n.title, attempt: job.attempt };
        if (job.lastError) p.lastError = job.lastError;
        if (job.nextAttemptAt !== undefined) p.nextAttemptAt = job.nextAttemptAt;
        out.push(p);
      }
    }
    return out;
  }

  return {
    send(n: Notification): void {
      try {
        const norm = normalise(n);
        if (closed) {
          const t: Tracked = { n: norm, remaining: 0, netJobs: 0, delivered: [], errors: {}, twins: [], cancelReason: 'notifier closed' };
          open.add(t);
          void finalize(t);
          return;
        }
        grouper.offer(norm);
      } catch (err) {
        lastError = `invalid notification: ${scrub(err instanceof Error ? err.message : String(err))}`;
      }
    },
    pending: () => open.size,
    undelivered: () => (lastError === undefined ? { count: undeliveredCount } : { count: undeliveredCount, lastError }),
    flush,
    waiting,
    watch(cb) {
      watchers.add(cb);
      return () => watchers.delete(cb);
    },
    describe: () => channels.map((c) => c.name),
    async close(): Promise<void> {
      if (closed) return;
      grouper.closeAll();
      cancelAll('notifier closed');
      await waitIdle();
      closed = true;
      await Promise.allSettled(channels.map((c) => c.close()));
      await ownTransport?.close();
    },
  };
}

function safeAccepts(c: Channel, n: Notification): boolean {
  try {
    return c.accepts(n);
  } catch {
    return false;
  }
}
