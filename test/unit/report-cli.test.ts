import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReportFormat, runReportCommand } from '../../src/report/cli.js';
import { recordWindow, SECRET } from './report-fixture.js';

let dir: string;
let file: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-report-cli-'));
  file = (await recordWindow(dir, 'rollback')).file;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function capture() {
  const io = { out: '', err: '', stdout: { write: (s: string) => (io.out += s) }, stderr: { write: (s: string) => (io.err += s) } };
  return io;
}

describe('flightdeck report', () => {
  it('prints Markdown to stdout', async () => {
    const io = capture();
    expect(await runReportCommand(file, { format: 'md' }, io)).toBe(0);
    expect(io.out.split('\n')[0]).toBe('# dhash · production — Rolled back');
    expect(io.out).toContain('## Gate timelines');
    expect(io.out).not.toContain(SECRET);
    expect(io.err).toBe('');
  });

  it('writes HTML to --out, creating its directory, and says where', async () => {
    const io = capture();
    const out = join(dir, 'reports', 'nested', 'window.html');
    expect(await runReportCommand(file, { format: 'html', out }, io)).toBe(0);
    const html = await readFile(out, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(io.out).toBe('');
    expect(io.err).toBe(`flightdeck report: wrote ${out} (html, ${Buffer.byteLength(html)} bytes)\n`);
  });

  it('reads gzip recordings', async () => {
    const gz = join(dir, 'window.ndjson.gz');
    await writeFile(gz, gzipSync(await readFile(file)));
    const io = capture();
    expect(await runReportCommand(gz, { format: 'md' }, io)).toBe(0);
    expect(io.out).toContain('> **Verdict: ROLLED BACK**');
  });

  it('exits 2 with one clear line for a missing file, a file that is not a recording, a broken gzip, or an unwritable --out', async () => {
    const cases: Array<[string, RegExp]> = [];
    cases.push([join(dir, 'nope.ndjson'), /nope\.ndjson: no such file$/]);
    const notRec = join(dir, 'hello.ndjson');
    await writeFile(notRec, '{"hello":1}\n');
    cases.push([notRec, /hello\.ndjson: not a Flightdeck recording \(no header line\)$/]);
    const badGz = join(dir, 'bad.ndjson.gz');
    await writeFile(badGz, Buffer.from([0x1f, 0x8b, 1, 2, 3, 4]));
    cases.push([badGz, /bad\.ndjson\.gz: /]);
    const garbage = join(dir, 'garbage.ndjson');
    await writeFile(garbage, 'not json\n{"kind":"header"}\n');
    cases.push([garbage, /garbage\.ndjson:1: not a JSON line$/]);
    for (const [f, re] of cases) {
      const io = capture();
      expect(await runReportCommand(f, { format: 'md' }, io), f).toBe(2);
      expect(io.out).toBe('');
      expect(io.err.trimEnd().split('\n')).toHaveLength(1);
      expect(io.err.trimEnd()).toMatch(/^flightdeck report: /);
      expect(io.err.trimEnd()).toMatch(re);
    }
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, 'x');
    const io = capture();
    expect(await runReportCommand(file, { format: 'html', out: join(blocker, 'r.html') }, io)).toBe(2);
    expect(io.err).toMatch(/^flightdeck report: cannot write .*a-file\/r\.html: /);
    await mkdir(join(dir, 'empty-dir'));
    const io2 = capture();
    expect(await runReportCommand(join(dir, 'empty-dir'), { format: 'md' }, io2)).toBe(2);
    expect(io2.err).toMatch(/empty-dir: is a directory, not a recording/);
  });

  it('reports a recording cut short after its header as interrupted, in both formats', async () => {
    const header = (await readFile(file, 'utf8')).split('\n')[0]!;
    const short = join(dir, 'short.ndjson');
    await writeFile(short, `${header}\n{"kind":"obs","reas`);
    const md = capture();
    expect(await runReportCommand(short, { format: 'md' }, md)).toBe(0);
    expect(md.out).toContain('> **Verdict: INTERRUPTED**');
    expect(md.out).toContain('the recording holds no observations: nothing was polled');
    const html = capture();
    expect(await runReportCommand(short, { format: 'html' }, html)).toBe(0);
    expect(html.out).toContain('data-verdict="interrupted"');
    expect(html.out).toContain('Never evaluated.');
  });

  it('parses --format, inferring HTML from an .html --out', () => {
    expect(parseReportFormat(undefined)).toBe('md');
    expect(parseReportFormat(undefined, 'r.html')).toBe('html');
    expect(parseReportFormat(undefined, 'r.HTM')).toBe('html');
    expect(parseReportFormat(undefined, 'r.md')).toBe('md');
    expect(parseReportFormat('HTML', 'r.md')).toBe('html');
    expect(parseReportFormat('markdown')).toBe('md');
    expect(() => parseReportFormat('pdf')).toThrow('--format must be md or html, got "pdf"');
  });
});
