/**
 * `flightdeck audit verify`: walks the chain and names the first line that
 * does not hold. Detects an edited line (its self-hash no longer matches), a
 * removed or reordered line (seq out of sequence, or prevHash not the
 * previous line's hash), a line rewritten with a recomputed self-hash (the
 * next line's prevHash), and a garbled or torn line. Lines removed from the
 * very end leave a valid chain: the sealed head beside the log (head.ts)
 * says where the chain ended, and a log that ends before it fails. A log
 * written before heads existed has none: it verifies, with a note saying
 * that its end cannot be proven.
 */
import { readFile } from 'node:fs/promises';
import { checkSeal, GENESIS_HASH, sha256Hex } from './chain.js';
import { headPath, readHead, type ReadHead } from './head.js';

export type VerifyResult = { ok: true; lines: number; note?: string } | { ok: false; line: number; problem: string };

export async function verifyAudit(file: string): Promise<VerifyResult> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    return { ok: false, line: 0, problem: `cannot read ${file}: ${code}` };
  }
  const head = await readHead(file);
  return verifyAuditBytes(data, head, headPath(file));
}

/** The same check on bytes already in memory, against the head read beside them (none: an old log). */
export function verifyAuditBytes(data: Buffer, head: ReadHead = { kind: 'none' }, headName = 'the head'): VerifyResult {
  const chain = verifyChain(data);
  if (!chain.ok) return chain;
  return checkHead(chain.lines, chain.hashes, head, headName);
}

function checkHead(lines: number, hashes: string[], head: ReadHead, headName: string): VerifyResult {
  if (head.kind === 'none') {
    return { ok: true, lines, note: `no sealed head beside it (${headName}): written by an older Flightdeck, or the head was deleted; lines removed from the end cannot be detected` };
  }
  if (head.kind === 'bad') return { ok: false, line: lines + 1, problem: head.problem };
  const { seq, hash, time } = head.head;
  const when = time ? ` (appended ${time})` : '';
  if (seq > lines) {
    const missing = seq - lines;
    return {
      ok: false,
      line: lines + 1,
      problem: `${missing === 1 ? '1 line was' : `${missing} lines were`} removed from the end: the sealed head records seq ${seq}${when}, the log ends at seq ${lines}`,
    };
  }
  if (seq > 0 && hashes[seq - 1] !== hash) {
    return { ok: false, line: seq, problem: `does not match the sealed head: the line with seq ${seq}${when} was replaced, with the lines after it (or the head belongs to another log)` };
  }
  if (seq < lines) {
    const extra = lines - seq;
    return { ok: true, lines, note: `${extra} line(s) after the sealed head (seq ${seq}): an append interrupted before its head was written, or lines added by other means` };
  }
  return { ok: true, lines };
}

/** The chain alone; with the hash of each line (index = seq - 1) for the head check. */
function verifyChain(data: Buffer): { ok: true; lines: number; hashes: string[] } | { ok: false; line: number; problem: string } {
  const hashes: string[] = [];
  if (data.length === 0) return { ok: true, lines: 0, hashes };
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] === 0x0a) {
      lines.push(data.subarray(start, i));
      start = i + 1;
    }
  }
  const torn = start < data.length;
  if (torn) lines.push(data.subarray(start));

  let prevHash = GENESIS_HASH;
  let prevSeq = 0;
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const bytes = lines[i]!;
    const bad = (problem: string) => ({ ok: false as const, line: n, problem });
    if (bytes.length === 0) return bad('empty line (a line was blanked or removed)');
    const text = bytes.toString('utf8');
    let rec: { seq?: unknown; prevHash?: unknown; hash?: unknown };
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return bad('not a JSON object');
      rec = parsed as typeof rec;
    } catch {
      return bad(torn && n === lines.length ? 'truncated: the last line is incomplete' : 'garbled: not valid JSON');
    }
    const seal = checkSeal(text);
    if (!seal || rec.hash !== seal.claimed) return bad('no hash: the line was not written by Flightdeck or was rewritten');
    if (seal.claimed !== seal.actual) return bad('edited: the line no longer matches its own hash');
    if (typeof rec.seq !== 'number' || !Number.isInteger(rec.seq)) return bad('no sequence number');
    if (rec.seq !== prevSeq + 1) {
      return bad(
        rec.seq > prevSeq + 1
          ? `expected seq ${prevSeq + 1}, found ${rec.seq}: ${rec.seq - prevSeq - 1 === 1 ? 'a line is' : 'lines are'} missing before it or lines were reordered`
          : `expected seq ${prevSeq + 1}, found ${rec.seq}: lines were reordered or repeated`,
      );
    }
    if (rec.prevHash !== prevHash) {
      return bad(
        n === 1
          ? 'the first line does not start the chain: lines were removed from the beginning'
          : `does not follow line ${n - 1}: line ${n - 1} was changed, or a line between them was removed`,
      );
    }
    if (torn && n === lines.length) return bad('truncated: the last line has no newline');
    prevHash = sha256Hex(bytes);
    hashes.push(prevHash);
    prevSeq = rec.seq;
  }
  return { ok: true, lines: lines.length, hashes };
}
