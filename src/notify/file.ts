/**
 * JSON Lines files: the `file` channel and the fallback file. Appends are
 * serialised per path so lines never interleave and keep their order.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DeliveryError, type Channel, type Notification } from './types.js';

const chains = new Map<string, Promise<void>>();

/** Appends one JSON object as a line, creating the directory if needed. */
export function appendJsonl(path: string, record: unknown): Promise<void> {
  const line = `${JSON.stringify(record)}\n`;
  const prev = chains.get(path) ?? Promise.resolve();
  const next = prev.then(async () => {
    await mkdir(dirname(path), { recursive: true });
    await appendFile(path, line, { encoding: 'utf8', mode: 0o640 });
  });
  const settled = next.catch(() => undefined);
  chains.set(path, settled);
  void settled.then(() => {
    if (chains.get(path) === settled) chains.delete(path);
  });
  return next;
}

export interface FileChannelOptions {
  name: string;
  /** Absolute path. */
  path: string;
  accepts: (n: Notification) => boolean;
}

/** A delivery that appends `{ kind: "notification", ...n }` to a JSONL file. */
export function createFileChannel(o: FileChannelOptions): Channel & { readonly path: string } {
  return {
    name: o.name,
    kind: 'file',
    path: o.path,
    retries: 0,
    secrets: [],
    accepts: o.accepts,
    async deliver(n: Notification): Promise<void> {
      try {
        await appendJsonl(o.path, { kind: 'notification', ...n });
      } catch (err) {
        throw new DeliveryError(`cannot append to ${o.path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, false);
      }
    },
    async close() {},
  };
}
