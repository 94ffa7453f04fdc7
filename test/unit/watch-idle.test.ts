/**
 * `watch --json` between polls (issue 14: "idle `watch --json` does nothing between polls but
 * wait"): the headless session, opened as the CLI opens it (file store, real undici transports
 * against a fake fleet and a fake Prometheus on 127.0.0.1), on an injected clock. After a poll the
 * only thing left to run is the next poll: one timer on the clock, no timer of Node's own
 * (an interval, a ticker, a file watch's poll), nothing written until that poll.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { openSession } from '../../src/cli/open-session.js';
import { present } from '../../src/cli/watch.js';
import { loadPlan } from '../../src/plan/load.js';
import { startFakeHttp, type FakeHttp } from '../helpers/fake-http.js';
import { waitFor } from '../helpers/prometheus.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * Every Node timer made from now on; `awake()` counts those still due that keep the process up (an
 * unref'd keep-alive timer does not, a fired or cleared one is gone).
 */
function watchTimers() {
  const made: NodeJS.Timeout[] = [];
  const real = globalThis.setTimeout;
  vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number, ...args: unknown[]) => {
    const t = (real as (...a: unknown[]) => NodeJS.Timeout)(fn, ms, ...args);
    made.push(t);
    return t;
  }) as unknown as typeof setTimeout);
  const intervals = vi.spyOn(globalThis, 'setInterval');
  return {
    intervals,
    awake: () => made.filter((t) => t.hasRef() && !(t as unknown as { _destroyed: boolean })._destroyed).length,
  };
}

async function fakeFleet(): Promise<FakeHttp> {
  return startFakeHttp((req, res) => {
    const body = req.url?.startsWith('/api/v1/query')
      ? JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [Date.now() / 1000, '0.01'] }] } })
      : JSON.stringify({ status: 'ok' });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}

describe('watch --json between polls', () => {
  it('leaves only the next poll scheduled: one timer on the clock, none of its own, nothing written until then', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fd-watch-idle-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const srv = await fakeFleet();
    cleanups.push(() => srv.close());
    const file = join(dir, 'plan.json');
    await writeFile(
      file,
      JSON.stringify({
        service: 'idle-test',
        prometheus: { url: srv.url, timeout: '5s' },
        nodes: Array.from({ length: 5 }, (_, i) => ({ name: `n${i}`, url: srv.url, health: `/health/${i}` })),
        polling: { window: '60m', phases: [{ every: '30s' }], hot: '5s', jitter: 0 },
        audit: { file: 'audit.jsonl' },
        stages: [{ id: 'canary', gates: [{ id: 'health', health: { consecutiveFailures: 2 }, onFail: 'block' }, { id: 'err', query: 'err_rate', fail: '> 0.05', onFail: 'block' }] }, { id: 'full' }],
      }),
    );
    const clock = new ManualClock(Date.now());
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const timers = watchTimers();
    // As `watch --no-guard --json` opens it (openWatching adds only --record and --metrics-port), on the test's clock.
    const session = await openSession(await loadPlan(file), { readonly: false, dryRun: false, autoRollback: true, clock });
    const running = present(session, { headless: true }, () => session.close());
    const done = () => lines.filter((l) => l.includes('"type":"poll.done"')).length;
    await waitFor(() => done() === 1, { what: 'the first poll', timeoutMs: 10_000, intervalMs: 10 });
    // Let the poll's last bookkeeping (state save, audit) settle: real I/O, bounded.
    await waitFor(() => clock.pending === 1, { what: 'only the next poll left on the clock', timeoutMs: 5_000, intervalMs: 10 });
    // The clock stood still during the poll: the next one is 30 s after it (no jitter in this plan).
    expect(clock.nextTimerAt()).toBe(clock.now() + 30_000);
    expect(timers.awake()).toBe(0);
    expect(timers.intervals).not.toHaveBeenCalled();
    const written = lines.length;
    // Just before the next poll: nothing ran, nothing was written.
    await clock.advance(29_999);
    expect(lines.length).toBe(written);
    expect(clock.pending).toBe(1);
    // The next poll, and again only the one after it.
    await clock.advance(1);
    await waitFor(() => done() === 2, { what: 'the second poll', timeoutMs: 10_000, intervalMs: 10 });
    await waitFor(() => clock.pending === 1, { what: 'only the next poll left on the clock', timeoutMs: 5_000, intervalMs: 10 });
    expect(timers.awake()).toBe(0);
    expect(timers.intervals).not.toHaveBeenCalled();
    process.emit('SIGTERM');
    expect(await running).toBe(0);
  });
});
