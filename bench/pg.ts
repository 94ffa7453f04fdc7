/**
 * The `pg` section: what the PostgreSQL store costs and how fast a standby guard takes over.
 *  - takeover: a leader guard's leadership (src/guard/leadership.ts) runs in a child process on a
 *    real PostgreSQL 15 (test/helpers/postgres.ts); a standby in this process; the child is
 *    killed with SIGKILL and the time until the standby leads is measured, over N trials.
 *  - action start: what an action does before its first step runs — take the action lock and
 *    write its `started` audit row (then release) — on the file store and on PostgreSQL,
 *    median over N trials each; the difference is what PostgreSQL adds to an action start.
 *
 * `node dist/bench/pg.js --leader URL LEASE_MS` is the child.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Leadership } from '../src/guard/leadership.js';
import { parsePlanText, type LoadedPlan } from '../src/plan/load.js';
import { fileStore } from '../src/store/files.js';
import { postgresStore } from '../src/store/postgres.js';
import type { Store } from '../src/store/store.js';
import { startPostgres } from '../test/helpers/postgres.js';
import type { Figure } from './figures.js';
import { median, round } from './figures.js';
import { DIST_BENCH, start, tempDir } from './procs.js';

const PLAN = `service: bench
prometheus: { url: "http://127.0.0.1:9" }
stages:
  - id: one
    gates: []
`;

function plan(dir: string): LoadedPlan {
  return parsePlanText(PLAN, join(dir, 'plan.yaml'), dir);
}

async function leaderChild(url: string, leaseMs: number): Promise<void> {
  const store = postgresStore(plan('/tmp'), { url });
  const l = new Leadership({ store, leaseMs, stateDir: 'child', log: (t) => process.stdout.write(`${t}\n`) });
  await l.start();
  setInterval(() => undefined, 1 << 30);
}

async function until(test: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (test()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return test();
}

async function actionStart(store: Store, trials: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < trials + 3; i++) {
    const t0 = performance.now();
    const lock = await store.lock.acquire({ action: 'rollback', operator: 'bench', stageId: 'one' });
    if (!lock.ok) throw new Error('the lock was held');
    await store.audit.append({ plan: 'plan.yaml', service: 'bench', stage: 'one', action: 'rollback', result: 'started', operator: { user: 'bench', host: 'bench' } });
    const t1 = performance.now();
    await lock.release();
    if (i >= 3) out.push(t1 - t0); // the first ones warm the connection and the file cache
  }
  return out;
}

export async function measurePg(o: { takeoverTrials: number; leaseMs: number; startTrials: number }): Promise<{ figures: Figure[]; details: unknown }> {
  const pg = await startPostgres();
  const dir = await tempDir('pg');
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'plan.yaml'), PLAN);
    const loaded = plan(dir);
    const standbyStore = postgresStore(loaded, { url: pg.url });
    const takeovers: number[] = [];
    try {
      for (let i = 0; i < o.takeoverTrials; i++) {
        const child = start(process.execPath, [join(DIST_BENCH, 'pg.js'), '--leader', pg.url, String(o.leaseMs)]);
        if (!(await until(() => child.output().includes('leading'), 20_000))) throw new Error(`the leader child did not lead: ${child.output()}`);
        const standby = new Leadership({ store: standbyStore, leaseMs: o.leaseMs, stateDir: 'standby', log: () => undefined });
        await standby.start();
        if (standby.leading) throw new Error('the standby led while the child held the lease');
        // Kill at a random point of the renewal cycle.
        await new Promise((r) => setTimeout(r, Math.random() * (o.leaseMs / 3)));
        const killed = performance.now();
        child.kill('SIGKILL');
        if (!(await until(() => standby.leading, o.leaseMs * 3))) throw new Error('the standby did not take over within 3 leases');
        takeovers.push(performance.now() - killed);
        await standby.stop();
      }
      const files = await actionStart(fileStore(loaded), o.startTrials);
      const pgStart = await actionStart(standbyStore, o.startTrials);
      const extra = median(pgStart) - median(files);
      const figures: Figure[] = [
        { key: 'pg.takeover.median_ms', label: `standby takeover after kill -9 of the leader, median (${o.takeoverTrials} trials, lease ${o.leaseMs / 1000} s)`, value: round(median(takeovers), 0), unit: 'ms', target: { op: '<=', value: o.leaseMs + o.leaseMs / 3 } },
        { key: 'pg.takeover.max_ms', label: 'standby takeover after kill -9 of the leader, max', value: round(Math.max(...takeovers), 0), unit: 'ms', target: { op: '<=', value: o.leaseMs + o.leaseMs / 3 } },
        { key: 'pg.action_start.files_ms', label: `action start (lock + started audit line), file store, median of ${o.startTrials}`, value: round(median(files), 2), unit: 'ms' },
        { key: 'pg.action_start.postgres_ms', label: `action start (lock row + started audit row), PostgreSQL on 127.0.0.1, median of ${o.startTrials}`, value: round(median(pgStart), 2), unit: 'ms' },
        { key: 'pg.action_start.extra_ms', label: 'extra latency PostgreSQL adds to an action start (median difference)', value: round(extra, 2), unit: 'ms', target: { op: '<=', value: 50 } },
      ];
      return { figures, details: { takeoversMs: takeovers.map((t) => round(t, 0)), actionStartFilesMs: files.map((t) => round(t, 2)), actionStartPostgresMs: pgStart.map((t) => round(t, 2)) } };
    } finally {
      await standbyStore.close();
    }
  } finally {
    await pg.stop();
  }
}

if (process.argv[2] === '--leader') void leaderChild(process.argv[3]!, Number(process.argv[4]));
