/**
 * The files store: the rollout state in `.flightdeck/<plan>.state.json` beside
 * the plan (written to a temporary file, flushed, then renamed over the old
 * one), the action lock beside it (actions/lock.ts), the audit where the plan
 * says (audit/log.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { acquireActionLock, clearStaleLock, inspectLock, pidAlive } from '../actions/lock.js';
import { appendAudit } from '../audit/log.js';
import type { LoadedPlan } from '../plan/load.js';
import { fixFor, formatState, parseState, type RolloutState, type StateRead } from './rollout-state.js';
import type { RolloutStateStore, Store } from './store.js';

export function statePathFor(planFile: string, dir?: string): string {
  const plan = resolve(planFile);
  return join(dir ? resolve(dir) : join(dirname(plan), '.flightdeck'), `${basename(plan)}.state.json`);
}

export interface FileStoreOptions {
  /** Directory for the state and the lock (default `.flightdeck` beside the plan). */
  dir?: string;
  /** How the operator named the plan, for the commands a problem tells them to run. */
  planArg?: string;
}

export class FileStateStore implements RolloutStateStore {
  readonly location: string;
  private readonly planArg: string;

  constructor(
    private readonly loaded: LoadedPlan,
    opts: FileStoreOptions = {},
  ) {
    this.location = statePathFor(loaded.file, opts.dir);
    this.planArg = opts.planArg ?? loaded.file;
  }

  async read(): Promise<StateRead> {
    let text: string;
    try {
      text = await readFile(this.location, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { status: 'none', location: this.location };
      const problem = `cannot be read (${code ?? (err as Error).message})`;
      return { status: 'broken', location: this.location, problem: { kind: 'unreadable', location: this.location, problem, fix: fixFor(this.planArg, this.loaded.plan.stages.map((s) => s.id)) } };
    }
    return parseState(text, this.location, this.loaded.plan, this.planArg);
  }

  async write(state: RolloutState): Promise<void> {
    const text = formatState(state);
    await mkdir(dirname(this.location), { recursive: true });
    const tmp = `${this.location}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      const fh = await open(tmp, 'wx', 0o664);
      try {
        await fh.writeFile(text);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.location);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await this.sweepTemps();
  }

  /** Removes the temporary files of writers killed before their rename (the pid in the name is gone). */
  private async sweepTemps(): Promise<void> {
    const prefix = `${basename(this.location)}.`;
    const names = await readdir(dirname(this.location)).catch(() => [] as string[]);
    for (const name of names) {
      const pid = name.startsWith(prefix) && name.endsWith('.tmp') ? Number(name.slice(prefix.length).split('.')[0]) : NaN;
      if (Number.isInteger(pid) && pid > 0 && !pidAlive(pid)) await unlink(join(dirname(this.location), name)).catch(() => undefined);
    }
  }
}

/** The store of one plan, in files. */
export function fileStore(loaded: LoadedPlan, opts: FileStoreOptions = {}): Store {
  return {
    state: new FileStateStore(loaded, opts),
    lock: {
      acquire: (o) => acquireActionLock({ planFile: loaded.file, action: o.action, operator: o.operator, dir: opts.dir, ...(o.stageId !== undefined ? { stageId: o.stageId } : {}), ...(o.auto ? { auto: true } : {}) }),
      inspect: () => inspectLock(loaded.file, opts.dir),
      clearStale: (h) => clearStaleLock(loaded.file, h, opts.dir),
    },
    audit: { append: (entry, o) => appendAudit(resolve(loaded.dir, loaded.plan.audit.file), entry, o) },
  };
}
