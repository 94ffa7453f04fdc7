/**
 * The sealed head of an audit log: the seq and hash of its last line, kept in
 * a small file beside it (`audit.jsonl.head`), replaced atomically (write a
 * temporary file, fsync, rename) after every append, under the append lock.
 *
 * The hash chain proves that no line was changed, removed or reordered up to
 * the last line present, but a file cut short still ends in a valid chain:
 * the head is what says where the chain ended. The log is written (and
 * synced) before the head, so a crash between the two leaves the head one
 * line behind, never ahead: a head behind the file is a note, a head ahead
 * of it (or naming a different line) is lines removed from the end.
 *
 * What it does not stop: someone able to rewrite both files can cut the log
 * and write a matching head. Keeping a copy of the head elsewhere (a
 * notification, the rollout state, a ticket) closes that; the head file is
 * the cheap local half that catches truncation and tail deletion.
 */
import { open, readFile, rename, rm } from 'node:fs/promises';

export const HEAD_SUFFIX = '.head';

export interface AuditHead {
  seq: number;
  /** SHA-256 of the last line's bytes (what the next line's prevHash will be). */
  hash: string;
  /** When the line was appended (ISO). */
  time: string;
}

export function headPath(auditFile: string): string {
  return `${auditFile}${HEAD_SUFFIX}`;
}

/** Replaces the head atomically. */
export async function writeHead(auditFile: string, head: AuditHead): Promise<void> {
  const target = headPath(auditFile);
  const tmp = `${target}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w', 0o640);
  try {
    await fh.write(`${JSON.stringify({ seq: head.seq, hash: head.hash, time: head.time })}\n`);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export type ReadHead = { kind: 'none' } | { kind: 'ok'; head: AuditHead } | { kind: 'bad'; problem: string };

export async function readHead(auditFile: string): Promise<ReadHead> {
  let text: string;
  try {
    text = await readFile(headPath(auditFile), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'none' };
    return { kind: 'bad', problem: `cannot read the head ${headPath(auditFile)}: ${code ?? String(err)}` };
  }
  try {
    const h = JSON.parse(text) as Partial<AuditHead>;
    if (typeof h.seq === 'number' && Number.isInteger(h.seq) && h.seq >= 0 && typeof h.hash === 'string' && /^[0-9a-f]{64}$/.test(h.hash)) {
      return { kind: 'ok', head: { seq: h.seq, hash: h.hash, time: typeof h.time === 'string' ? h.time : '' } };
    }
  } catch {
    // fall through
  }
  return { kind: 'bad', problem: `the head ${headPath(auditFile)} is garbled: cannot tell whether lines were removed from the end` };
}
