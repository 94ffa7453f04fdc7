import { createHash } from 'node:crypto';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { appendAudit, currentOperator, GENESIS_HASH, redact, redactUrl, type AuditEntry } from '../../src/audit/log.js';
import { sealLine } from '../../src/audit/chain.js';
import { verifyAudit } from '../../src/audit/verify.js';

const SENTINEL = 'xoxb-SENTINEL-5e1d9a77c0';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-audit-'));
  file = join(dir, 'monitor_logs', 'audit.jsonl');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const entry = (i: number, over: Partial<AuditEntry> = {}): AuditEntry => ({
  operator: { user: 'alice', host: 'bastion', sshClient: '203.0.113.7' },
  plan: 'plans/dhash.yaml',
  service: 'dhash',
  stage: 'canary-10',
  action: i % 2 ? 'promote' : 'rollback',
  reason: `reason ${i}`,
  result: 'ok',
  durationMs: 1000 + i,
  ...over,
});

async function lines(): Promise<string[]> {
  return (await readFile(file, 'utf8')).split('\n').filter((l) => l.length > 0);
}
async function writeLines(ls: string[]): Promise<void> {
  await writeFile(file, ls.map((l) => `${l}\n`).join(''));
}
async function fiveLines(): Promise<string[]> {
  for (let i = 1; i <= 5; i++) await appendAudit(file, entry(i));
  return lines();
}

describe('appendAudit', () => {
  it('writes one JSON object a line, chained by the SHA-256 of the previous line', async () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 30, 0));
    const first = await appendAudit(file, entry(1, { steps: [{ name: 'deploy', status: 'ok', exitCode: 0, durationMs: 900 }] }), { clock });
    clock.advance(5_000);
    await appendAudit(file, entry(2, { override: { manual_override: true, override_acknowledged: true, override_reason: 'pool saturation is a known false alarm' } }), { clock });
    const [l1, l2] = await lines();
    const r1 = JSON.parse(l1!);
    const r2 = JSON.parse(l2!);
    expect(first).toEqual(r1);
    expect(r1).toMatchObject({ time: '2026-03-01T09:30:00.000Z', seq: 1, operator: { user: 'alice', host: 'bastion', sshClient: '203.0.113.7' }, plan: 'plans/dhash.yaml', service: 'dhash', stage: 'canary-10', action: 'promote', reason: 'reason 1', result: 'ok', durationMs: 1001, prevHash: GENESIS_HASH });
    expect(r1.steps).toEqual([{ name: 'deploy', status: 'ok', exitCode: 0, durationMs: 900 }]);
    expect(r2.seq).toBe(2);
    expect(r2.override).toEqual({ manual_override: true, override_acknowledged: true, override_reason: 'pool saturation is a known false alarm' });
    expect(r2.prevHash).toBe(createHash('sha256').update(l1!).digest('hex'));
    expect(Object.keys(r2).slice(-2)).toEqual(['prevHash', 'hash']);
    expect(await verifyAudit(file)).toEqual({ ok: true, lines: 2 });
  });

  it('defaults the operator to the current user, host and SSH client', async () => {
    const rec = await appendAudit(file, { ...entry(1), operator: undefined }, { env: { SSH_CONNECTION: '198.51.100.4 40022 10.0.0.5 22', SUDO_USER: 'bob' } });
    expect(rec.operator).toEqual({ user: 'bob', host: hostname(), sshClient: '198.51.100.4' });
    expect(currentOperator({ SSH_CLIENT: '2001:db8::1 52144 22' }).sshClient).toBe('2001:db8::1');
    expect(currentOperator({}).sshClient).toBeUndefined();
  });

  it('serialises concurrent appends in one process', async () => {
    await Promise.all(Array.from({ length: 25 }, (_, i) => appendAudit(file, entry(i))));
    const ls = await lines();
    expect(ls).toHaveLength(25);
    expect(ls.map((l) => JSON.parse(l).seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(await verifyAudit(file)).toEqual({ ok: true, lines: 25 });
  });

  it('serialises appends from two independent writers (separate module instances, only the file lock between them)', async () => {
    const a = await import('../../src/audit/log.js');
    vi.resetModules();
    const b = await import('../../src/audit/log.js');
    expect(a.appendAudit).not.toBe(b.appendAudit);
    await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).appendAudit(file, entry(i))));
    expect(await verifyAudit(file)).toEqual({ ok: true, lines: 12 });
  });

  it('never writes a known secret, URL credentials or secret header values', async () => {
    await appendAudit(
      file,
      entry(1, {
        reason: `token was ${SENTINEL} oops`,
        details: {
          webhook: `https://hooks.slack.com/services/${SENTINEL}`,
          prometheus: `http://admin:${SENTINEL}@prom:9090/api/v1/query?query=up&token=${SENTINEL}`,
          headers: { Authorization: `Bearer ${SENTINEL}`, 'X-Internal-API-Key': SENTINEL, Accept: 'application/json' },
          tokenEnv: 'PROM_TOKEN',
          [`key-${SENTINEL}`]: 1,
        },
      }),
      { secrets: [SENTINEL] },
    );
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(SENTINEL);
    expect(text).not.toContain('admin:');
    const rec = JSON.parse(text);
    expect(rec.reason).toBe('token was [REDACTED] oops');
    expect(rec.details.headers).toEqual({ Authorization: '[REDACTED]', 'X-Internal-API-Key': '[REDACTED]', Accept: 'application/json' });
    expect(rec.details.tokenEnv).toBe('PROM_TOKEN');
    expect(await verifyAudit(file)).toEqual({ ok: true, lines: 1 });
  });

  it('after a torn last line, the next append keeps it visible to verify', async () => {
    await appendAudit(file, entry(1));
    await appendFile(file, '{"time":"2026-');
    await appendAudit(file, entry(2));
    const ls = await lines();
    expect(ls).toHaveLength(3);
    expect(JSON.parse(ls[2]!).seq).toBe(3);
    expect(await verifyAudit(file)).toEqual({ ok: false, line: 2, problem: 'garbled: not valid JSON' });
  });
});

describe('the end of the log: the sealed head beside it (issue 11)', () => {
  const head = () => join(dir, 'monitor_logs', 'audit.jsonl.head');

  it('each append replaces the head with the last seq and the hash of the last line', async () => {
    const ls = await fiveLines();
    const h = JSON.parse(await readFile(head(), 'utf8'));
    expect(h).toEqual({ seq: 5, hash: createHash('sha256').update(ls[4]!).digest('hex'), time: JSON.parse(ls[4]!).time });
    expect(await verifyAudit(file)).toEqual({ ok: true, lines: 5 });
  });

  it('catches the last line removed', async () => {
    const ls = await fiveLines();
    await writeLines(ls.slice(0, 4));
    expect(await verifyAudit(file)).toMatchObject({ ok: false, line: 5, problem: expect.stringMatching(/^1 line was removed from the end: the sealed head records seq 5 \(appended [^)]+\), the log ends at seq 4$/) });
  });

  it('catches the last two lines removed', async () => {
    const ls = await fiveLines();
    await writeLines(ls.slice(0, 3));
    expect(await verifyAudit(file)).toMatchObject({ ok: false, line: 4, problem: expect.stringMatching(/^2 lines were removed from the end: .* the log ends at seq 3$/) });
  });

  it('catches the last line replaced by one with a valid seal and chain', async () => {
    const ls = await fiveLines();
    const rec = JSON.parse(ls[4]!);
    delete rec.hash;
    rec.result = 'failed';
    await writeLines([...ls.slice(0, 4), sealLine(rec)]);
    expect(await verifyAudit(file)).toMatchObject({ ok: false, line: 5, problem: expect.stringMatching(/^does not match the sealed head: the line with seq 5/) });
  });

  it('still catches an edited line and reordered lines first, where they are', async () => {
    const ls = await fiveLines();
    await writeLines(ls.map((l, i) => (i === 1 ? l.replace('"reason 2"', '"reason two"') : l)));
    expect(await verifyAudit(file)).toMatchObject({ ok: false, line: 2, problem: 'edited: the line no longer matches its own hash' });
    await writeLines([ls[0]!, ls[1]!, ls[2]!, ls[4]!, ls[3]!]);
    expect(await verifyAudit(file)).toMatchObject({ ok: false, line: 4 });
  });

  it('a log written before heads existed verifies, with a note that its end cannot be proven', async () => {
    await fiveLines();
    await rm(head());
    expect(await verifyAudit(file)).toEqual({
      ok: true,
      lines: 5,
      note: `no sealed head beside it (${head()}): written by an older Flightdeck, or the head was deleted; lines removed from the end cannot be detected`,
    });
    // The next append seals it: from then on its end is proven.
    await appendAudit(file, entry(6));
    expect(await verifyAudit(file)).toEqual({ ok: true, lines: 6 });
  });

  it('a head one line behind (a crash between the log write and the head write) is a note, not a false alarm', async () => {
    for (let i = 1; i <= 4; i++) await appendAudit(file, entry(i));
    const before = await readFile(head(), 'utf8');
    await appendAudit(file, entry(5));
    await writeFile(head(), before);
    expect(await verifyAudit(file)).toEqual({ ok: true, lines: 5, note: '1 line(s) after the sealed head (seq 4): an append interrupted before its head was written, or lines added by other means' });
  });

  it('a garbled head fails: the end cannot be proven', async () => {
    await fiveLines();
    await writeFile(head(), '{"seq":"five"}\n');
    expect(await verifyAudit(file)).toEqual({ ok: false, line: 6, problem: `the head ${head()} is garbled: cannot tell whether lines were removed from the end` });
  });
});

describe('verifyAudit', () => {
  it('passes an untouched log; an emptied one is lines removed from the end (its head says 5)', async () => {
    await fiveLines();
    expect(await verifyAudit(file)).toEqual({ ok: true, lines: 5 });
    await writeFile(file, '');
    expect(await verifyAudit(file)).toMatchObject({ ok: false, line: 1, problem: expect.stringMatching(/^5 lines were removed from the end: the sealed head records seq 5 \(appended .*\), the log ends at seq 0$/) });
  });

  it('catches an edited line', async () => {
    const ls = await fiveLines();
    ls[2] = ls[2]!.replace('"result":"ok"', '"result":"failed"');
    await writeLines(ls);
    const v = await verifyAudit(file);
    expect(v).toMatchObject({ ok: false, line: 3 });
    if (!v.ok) expect(v.problem).toMatch(/^edited/);
  });

  it('catches an edited line whose own hash was recomputed (the next line no longer follows)', async () => {
    const ls = await fiveLines();
    const rec = JSON.parse(ls[1]!);
    rec.reason = 'nothing to see';
    delete rec.hash;
    const body = JSON.stringify(rec);
    ls[1] = `${body.slice(0, -1)},"hash":"${createHash('sha256').update(body).digest('hex')}"}`;
    await writeLines(ls);
    const v = await verifyAudit(file);
    expect(v).toMatchObject({ ok: false, line: 3 });
    if (!v.ok) expect(v.problem).toContain('line 2 was changed');
  });

  it('catches a deleted line, in the middle and at the start', async () => {
    const ls = await fiveLines();
    await writeLines([ls[0]!, ls[2]!, ls[3]!, ls[4]!]);
    const mid = await verifyAudit(file);
    expect(mid).toMatchObject({ ok: false, line: 2 });
    if (!mid.ok) expect(mid.problem).toMatch(/expected seq 2, found 3: a line is missing/);

    await writeLines(ls.slice(1));
    expect(await verifyAudit(file)).toMatchObject({ ok: false, line: 1 });
  });

  it('catches a swapped pair', async () => {
    const ls = await fiveLines();
    await writeLines([ls[0]!, ls[1]!, ls[3]!, ls[2]!, ls[4]!]);
    expect(await verifyAudit(file)).toMatchObject({ ok: false, line: 3 });
  });

  it('catches a deleted line even when the seq numbers were rewritten to hide it', async () => {
    const ls = await fiveLines();
    // drop line 2 and renumber the rest, recomputing their self-hashes
    const kept = [ls[0]!, ls[2]!, ls[3]!, ls[4]!].map((l, i) => {
      const rec = JSON.parse(l);
      rec.seq = i + 1;
      delete rec.hash;
      const body = JSON.stringify(rec);
      return `${body.slice(0, -1)},"hash":"${createHash('sha256').update(body).digest('hex')}"}`;
    });
    await writeLines(kept);
    const v = await verifyAudit(file);
    expect(v).toMatchObject({ ok: false, line: 2 });
    if (!v.ok) expect(v.problem).toContain('does not follow line 1');
  });

  it('catches a truncated last line and a garbled line', async () => {
    const ls = await fiveLines();
    await writeFile(file, `${ls.slice(0, 4).join('\n')}\n${ls[4]!.slice(0, 40)}`);
    expect(await verifyAudit(file)).toEqual({ ok: false, line: 5, problem: 'truncated: the last line is incomplete' });

    await writeLines([ls[0]!, ls[1]!, 'not json at all', ls[3]!, ls[4]!]);
    expect(await verifyAudit(file)).toEqual({ ok: false, line: 3, problem: 'garbled: not valid JSON' });
  });

  it('reports a file it cannot read', async () => {
    const v = await verifyAudit(join(dir, 'missing.jsonl'));
    expect(v).toMatchObject({ ok: false, line: 0 });
  });
});

describe('redact', () => {
  it('masks known values, URL credentials and secret-looking keys, deeply', () => {
    const out = redact({ a: [`x ${SENTINEL} y`, { password: 'p4ss' }], url: 'https://user:pw@example.com/x?sig=abc&keep=1' }, [SENTINEL]);
    expect(out).toEqual({ a: ['x [REDACTED] y', { password: '[REDACTED]' }], url: 'https://[REDACTED]@example.com/x?sig=[REDACTED]&keep=1' });
    expect(redactUrl('https://user:pw@example.com/hook?api_key=zz&x=1')).toBe('https://example.com/hook?api_key=[REDACTED]&x=1');
  });
});
