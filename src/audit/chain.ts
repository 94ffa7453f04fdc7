/**
 * The hash chain behind the audit log. Each line is one JSON object whose
 * last two keys are `prevHash` (SHA-256 of the previous line's exact bytes,
 * 64 zeros for the first line) and `hash` (SHA-256 of the line's own bytes up
 * to, not including, `,"hash":…`, closed with `}`). The self-hash pins an
 * edited line to its own line number; the chain catches removed, reordered
 * and rewritten lines.
 */
import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

const HASH_SUFFIX = /,"hash":"([0-9a-f]{64})"\}$/;

/** Serialises a record (without `hash`) and appends its self-hash as the last key. */
export function sealLine(recordWithoutHash: Record<string, unknown>): string {
  const body = JSON.stringify(recordWithoutHash);
  if (!body.startsWith('{') || !body.endsWith('}')) throw new Error('an audit record must be a JSON object');
  const hash = sha256Hex(body);
  return `${body.slice(0, -1)},"hash":"${hash}"}`;
}

/** The self-hash a line claims and the one its bytes give; undefined when the line has no hash suffix. */
export function checkSeal(line: string): { claimed: string; actual: string } | undefined {
  const m = HASH_SUFFIX.exec(line);
  if (!m) return undefined;
  const body = `${line.slice(0, m.index)}}`;
  return { claimed: m[1]!, actual: sha256Hex(body) };
}
