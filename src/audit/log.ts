/**
 * The audit log: append-only JSONL, one object a line, each line chained to
 * the previous one by SHA-256 (see chain.ts), so `flightdeck audit verify`
 * detects a changed, removed or reordered line. Appends are serialised within
 * the process (a promise chain per file) and across processes (a short
 * proper-lockfile lock beside the log). Every entry goes through `redact`
 * before it is written. After each append the log's sealed head (head.ts:
 * the last seq and hash) is replaced beside it, so that lines removed from
 * the end are detected too.
 */
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import lockfile from 'proper-lockfile';
import { systemClock, type Clock } from '../clock.js';
import { GENESIS_HASH, sealLine, sha256Hex } from './chain.js';
import { headPath, writeHead } from './head.js';
import { currentOperator, type AuditOperator } from './operator.js';
import { redact } from './redact.js';

export { redact, redactText, redactUrl, REDACTED } from './redact.js';
export { currentOperator, formatOperator, sshClientAddress, type AuditOperator } from './operator.js';
export { GENESIS_HASH } from './chain.js';

export interface AuditOverride {
  manual_override: true;
  override_acknowledged: true;
  override_reason: string;
}

/** One step of an action as the audit keeps it (no output). */
export interface AuditStep {
  name: string;
  status: string;
  exitCode?: number | null;
  signal?: string | null;
  durationMs?: number;
  note?: string;
}

/** What a caller records. `time` and `operator` default to now and the current operator. */
export interface AuditEntry {
  time?: string;
  operator?: AuditOperator;
  /** The plan file (path as the operator gave it, or absolute). */
  plan: string;
  service: string;
  stage: string | null;
  /** "promote", "rollback", "auto-rollback", "override", "signoff", … */
  action: string;
  reason?: string;
  override?: AuditOverride;
  steps?: AuditStep[];
  /** "ok", "failed", "started", "dry run", "refused", … */
  result: string;
  durationMs?: number;
  details?: Record<string, unknown>;
}

/** A line as written. */
export interface AuditRecord extends AuditEntry {
  time: string;
  seq: number;
  operator: AuditOperator;
  prevHash: string;
  hash: string;
}

export interface AppendOptions {
  /** Secret values that must never land in the file (tokens, webhook URLs…). */
  secrets?: string[];
  clock?: Clock;
  /** Environment used for the default operator (default process.env). */
  env?: Record<string, string | undefined>;
  /** How long to wait for another process's append (default 10 s). */
  lockWaitMs?: number;
  /**
   * This action's line with this result is written at most once: an append retried after its reply was
   * lost (the database may have committed it) finds the line already there and writes nothing. Kept by
   * the PostgreSQL store; a file append cannot lose its reply.
   */
  once?: { actionId: string; result: string };
}

export class AuditError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditError';
  }
}

const chains = new Map<string, Promise<unknown>>();

/** Appends one entry and resolves with the line as written. Rejects with AuditError when it cannot. */
export function appendAudit(file: string, entry: AuditEntry, opts: AppendOptions = {}): Promise<AuditRecord> {
  const path = resolve(file);
  const previous = chains.get(path) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => appendLocked(path, entry, opts));
  const tail = next.catch(() => undefined);
  chains.set(path, tail);
  void tail.then(() => {
    if (chains.get(path) === tail) chains.delete(path);
  });
  return next;
}

async function appendLocked(path: string, entry: AuditEntry, opts: AppendOptions): Promise<AuditRecord> {
  try {
    await mkdir(dirname(path), { recursive: true });
  } catch (err) {
    throw new AuditError(`cannot create the audit directory ${dirname(path)}: ${codeOf(err)}`);
  }
  const wait = opts.lockWaitMs ?? 10_000;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(path, {
      realpath: false,
      stale: 10_000,
      update: 2_000,
      retries: { retries: Math.max(1, Math.ceil(wait / 50)), factor: 1, minTimeout: 50, maxTimeout: 50 },
      onCompromised: () => undefined,
    });
  } catch (err) {
    throw new AuditError(`cannot lock the audit log ${path} (another Flightdeck is writing it?): ${codeOf(err)}`);
  }
  try {
    return await writeEntry(path, entry, opts);
  } finally {
    await release().catch(() => undefined);
  }
}

/**
 * The audit record of an entry, redacted, numbered after `last` and chained to it, and its sealed
 * line: one field order for the JSONL file and the PostgreSQL rows, so both verify alike.
 */
export function sealEntry(entry: AuditEntry, opts: AppendOptions, last: { seq: number; hash: string }): { record: Record<string, unknown>; line: string } {
  const clock = opts.clock ?? systemClock;
  const clean = redact(entry, opts.secrets ?? []);
  const record: Record<string, unknown> = {
    time: clean.time ?? new Date(clock.now()).toISOString(),
    seq: last.seq + 1,
    operator: clean.operator ?? redact(currentOperator(opts.env ?? process.env), opts.secrets ?? []),
    plan: clean.plan,
    service: clean.service,
    stage: clean.stage,
    action: clean.action,
  };
  if (clean.reason !== undefined) record.reason = clean.reason;
  if (clean.override !== undefined) record.override = clean.override;
  if (clean.steps !== undefined) record.steps = clean.steps;
  record.result = clean.result;
  if (clean.durationMs !== undefined) record.durationMs = Math.round(clean.durationMs);
  if (clean.details !== undefined) record.details = clean.details;
  record.prevHash = last.hash;
  return { record, line: sealLine(record) };
}

async function writeEntry(path: string, entry: AuditEntry, opts: AppendOptions): Promise<AuditRecord> {
  const last = await readLastLine(path);
  const { record, line } = sealEntry(entry, opts, last);

  let fh;
  try {
    fh = await open(path, 'a', 0o640);
  } catch (err) {
    throw new AuditError(`cannot open the audit log ${path}: ${codeOf(err)}`);
  }
  try {
    // A torn last line (crash mid-write) is closed first, so it stays visible to verify.
    await fh.write(`${last.needsNewline ? '\n' : ''}${line}\n`);
    await fh.datasync();
  } catch (err) {
    throw new AuditError(`cannot write the audit log ${path}: ${codeOf(err)}`);
  } finally {
    await fh.close();
  }
  // After the line is on disk: a crash in between leaves the head behind the log, never ahead of it.
  try {
    await writeHead(path, { seq: record.seq as number, hash: sha256Hex(line), time: record.time as string });
  } catch (err) {
    throw new AuditError(`the entry was written but the audit head ${headPath(path)} was not: ${codeOf(err)}`);
  }
  return JSON.parse(line) as AuditRecord;
}

interface LastLine {
  hash: string;
  seq: number;
  needsNewline: boolean;
}

/** The hash and seq of the file's last line, reading backwards from the end in chunks. */
async function readLastLine(path: string): Promise<LastLine> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { hash: GENESIS_HASH, seq: 0, needsNewline: false };
    throw new AuditError(`cannot read the audit log ${path}: ${codeOf(err)}`);
  }
  if (size === 0) return { hash: GENESIS_HASH, seq: 0, needsNewline: false };
  const fh = await open(path, 'r');
  try {
    const last = Buffer.alloc(1);
    await fh.read(last, 0, 1, size - 1);
    const needsNewline = last[0] !== 0x0a;
    const end = needsNewline ? size : size - 1;
    let chunk = 64 * 1024;
    for (;;) {
      const start = Math.max(0, end - chunk);
      const buf = Buffer.alloc(end - start);
      await fh.read(buf, 0, buf.length, start);
      const nl = buf.lastIndexOf(0x0a);
      if (nl >= 0 || start === 0) {
        const lineBytes = buf.subarray(nl + 1);
        return { hash: sha256Hex(lineBytes), seq: await seqOf(lineBytes, path), needsNewline };
      }
      chunk *= 4;
    }
  } finally {
    await fh.close();
  }
}

/** The last line's seq; when it is unreadable, the count of lines so far (verify will flag the bad line). */
async function seqOf(lineBytes: Buffer, path: string): Promise<number> {
  try {
    const seq = (JSON.parse(lineBytes.toString('utf8')) as { seq?: unknown }).seq;
    if (typeof seq === 'number' && Number.isInteger(seq) && seq >= 0) return seq;
  } catch {
    // fall through
  }
  const text = await readFile(path);
  let lines = 0;
  for (const b of text) if (b === 0x0a) lines++;
  if (text.length > 0 && text[text.length - 1] !== 0x0a) lines++;
  return lines;
}

function codeOf(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ?? (e instanceof Error ? e.message : String(err));
}
