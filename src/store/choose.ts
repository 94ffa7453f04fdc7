/**
 * Which store a plan uses: files beside the plan (the default), or the
 * PostgreSQL database the plan's `store.postgres.urlEnv` names. The URL is
 * read from the environment here and handed to the store only.
 */
import type { LoadedPlan } from '../plan/load.js';
import { fileStore } from './files.js';
import type { PostgresStore } from './postgres.js';
import type { Store } from './store.js';

export class StoreConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreConfigError';
  }
}

export interface ChosenStore {
  store: Store;
  /** Set when the store is PostgreSQL. */
  postgres: PostgresStore | null;
  /** The leadership lease (ms) of a PostgreSQL store. */
  leaseMs: number;
  close(): Promise<void>;
}

export async function chooseStore(loaded: LoadedPlan, env: NodeJS.ProcessEnv = process.env, opts: { urlEnv?: string; planArg?: string } = {}): Promise<ChosenStore> {
  const spec = loaded.plan.store?.postgres;
  const urlEnv = opts.urlEnv ?? spec?.urlEnv;
  if (!urlEnv) return { store: fileStore(loaded, opts.planArg ? { planArg: opts.planArg } : {}), postgres: null, leaseMs: 0, close: async () => undefined };
  const url = env[urlEnv];
  if (!url) throw new StoreConfigError(`the store is PostgreSQL (${opts.urlEnv ? '--store-url-env' : `store.postgres.urlEnv in ${loaded.file}`}) but the environment variable ${urlEnv} is not set: set it to the database URL (postgres://user:password@host:port/db)`);
  if (!/^postgres(ql)?:\/\//.test(url)) throw new StoreConfigError(`the environment variable ${urlEnv} does not hold a PostgreSQL URL (expected postgres://user:password@host:port/db)`);
  const { postgresStore } = await import('./postgres.js');
  const pg = postgresStore(loaded, { url, ...(spec?.ssl !== undefined ? { ssl: spec.ssl } : {}), ...(opts.planArg ? { planArg: opts.planArg } : {}) });
  return { store: pg, postgres: pg, leaseMs: spec?.lease ?? 15_000, close: () => pg.close() };
}
