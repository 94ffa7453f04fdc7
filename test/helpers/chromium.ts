/**
 * Debian's Chromium, headless, for tests of HTML output: a screenshot of a
 * file and the DOM it renders. Each run gets its own throw-away profile and
 * its own process group, killed when the run ends or times out.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CHROMIUM = '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--hide-scrollbars',
  '--mute-audio',
];

export function requireChromium(): string {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}: apt-get install -y chromium`);
  return CHROMIUM;
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** How long one headless Chromium run may take: seconds on a quiet machine, more on 2 cores under a full suite (seen: over 15 s at load 13). */
const CHROMIUM_BOUND_MS = 60_000;

async function runChromium(args: string[], timeoutMs: number): Promise<RunResult> {
  const bin = requireChromium();
  const profile = await mkdtemp(join(tmpdir(), 'fd-chromium-'));
  try {
    return await new Promise<RunResult>((done, fail) => {
      const child = spawn(bin, [...FLAGS, `--user-data-dir=${profile}`, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      const killGroup = (signal: NodeJS.Signals) => {
        try {
          if (child.pid) process.kill(-child.pid, signal);
        } catch {
          // already gone
        }
      };
      const timer = setTimeout(() => {
        killGroup('SIGKILL');
        fail(new Error(`chromium did not finish within ${timeoutMs} ms: ${Buffer.concat(err).toString().slice(-500)}`));
      }, timeoutMs);
      child.on('error', (e) => {
        clearTimeout(timer);
        fail(e);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        killGroup('SIGKILL'); // helpers it left behind
        done({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
      });
    });
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

/** Renders an HTML file at width x height and writes a PNG screenshot of it. */
export async function screenshotHtml(htmlFile: string, pngFile: string, opts: { width: number; height: number; timeoutMs?: number }): Promise<void> {
  const r = await runChromium([`--screenshot=${resolve(pngFile)}`, `--window-size=${opts.width},${opts.height}`, pathToFileURL(resolve(htmlFile)).href], opts.timeoutMs ?? CHROMIUM_BOUND_MS);
  if (r.code !== 0 || !existsSync(pngFile)) throw new Error(`chromium --screenshot failed (exit ${r.code}): ${r.stderr.slice(-800)}`);
}

/** The DOM Chromium builds from an HTML file, serialised. */
export async function dumpDom(htmlFile: string, opts: { timeoutMs?: number; width?: number; height?: number } = {}): Promise<string> {
  const size = opts.width && opts.height ? [`--window-size=${opts.width},${opts.height}`] : [];
  const r = await runChromium([...size, '--dump-dom', pathToFileURL(resolve(htmlFile)).href], opts.timeoutMs ?? CHROMIUM_BOUND_MS);
  if (r.code !== 0 || !r.stdout.includes('<html')) throw new Error(`chromium --dump-dom failed (exit ${r.code}): ${r.stderr.slice(-800)}`);
  return r.stdout;
}
