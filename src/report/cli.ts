/**
 * `flightdeck report FILE [--format md|html] [--out FILE]`: summarises a
 * recorded deploy window. Exit 0 when the report was written, 2 when the
 * recording could not be read or the output not written.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { readRecording } from '../record/read.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { summarise } from './summary.js';

export type ReportFormat = 'md' | 'html';

export interface ReportIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

/** The format asked for, else the one --out's name implies (.html/.htm), else Markdown. */
export function parseReportFormat(format: string | undefined, out?: string): ReportFormat {
  if (format === undefined) return out && /\.html?$/i.test(out) ? 'html' : 'md';
  const f = format.toLowerCase();
  if (f === 'md' || f === 'markdown') return 'md';
  if (f === 'html') return 'html';
  throw new Error(`--format must be md or html, got "${format}"`);
}

export async function runReportCommand(file: string, opts: { format: ReportFormat; out?: string }, io: ReportIo = process): Promise<number> {
  let text: string;
  try {
    const model = summarise(await readRecording(file));
    text = opts.format === 'html' ? renderHtml(model) : renderMarkdown(model);
  } catch (err) {
    io.stderr.write(`flightdeck report: ${describe(err, file)}\n`);
    return 2;
  }
  if (!opts.out) {
    io.stdout.write(text);
    return 0;
  }
  const out = resolve(opts.out);
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    await mkdir(dirname(out), { recursive: true });
    await writeFile(tmp, text, 'utf8');
    await rename(tmp, out);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    io.stderr.write(`flightdeck report: cannot write ${opts.out}: ${(err as Error).message}\n`);
    return 2;
  }
  io.stderr.write(`flightdeck report: wrote ${opts.out} (${opts.format}, ${Buffer.byteLength(text)} bytes)\n`);
  return 0;
}

function describe(err: unknown, file: string): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return `${file}: no such file`;
  if (e.code === 'EISDIR') return `${file}: is a directory, not a recording`;
  if (e.code === 'EACCES') return `${file}: permission denied`;
  if (e.code === 'Z_DATA_ERROR' || e.code === 'Z_BUF_ERROR') return `${file}: not a readable gzip recording (${e.message})`;
  const msg = e.message ?? String(err);
  return msg.includes(file) ? msg : `${file}: ${msg}`;
}
