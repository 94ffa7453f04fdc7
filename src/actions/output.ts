/**
 * Where an action's output goes: every line, secrets masked, to the caller's
 * onOutput and to the action's log file; the last lines of each step kept for
 * the result.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { redactText } from '../audit/redact.js';
import type { OutputLine, OutputStream } from './types.js';

export const TAIL_LINES = 50;
const MAX_LINE_CHARS = 4_000;

export class OutputSink {
  private readonly secrets: string[] = [];
  private readonly tails = new Map<string, string[]>();
  private log: WriteStream | undefined;
  private logBroken = false;

  constructor(
    private readonly opts: { logFile?: string | undefined; onOutput?: ((line: OutputLine) => void) | undefined; now: () => number; secrets?: string[] | undefined },
  ) {
    this.addSecrets(opts.secrets ?? []);
    if (opts.logFile) {
      try {
        mkdirSync(dirname(opts.logFile), { recursive: true });
        this.log = createWriteStream(opts.logFile, { flags: 'a', mode: 0o640 });
        this.log.on('error', () => {
          this.logBroken = true;
        });
      } catch {
        this.logBroken = true;
      }
    }
  }

  /** Values learnt during the run (resolved secret headers) are masked from then on. */
  addSecrets(values: Iterable<string>): void {
    for (const v of values) if (v && !this.secrets.includes(v)) this.secrets.push(v);
  }

  get knownSecrets(): readonly string[] {
    return this.secrets;
  }

  mask(text: string): string {
    return redactText(text, this.secrets);
  }

  /** One line of a step. `keepInTail: false` for action-level notes (header, summary). */
  line(step: string, stream: OutputStream, raw: string, keepInTail = true): void {
    let text = this.mask(raw.replace(/\r$/, ''));
    if (text.length > MAX_LINE_CHARS) text = `${text.slice(0, MAX_LINE_CHARS)}… (${text.length - MAX_LINE_CHARS} more characters)`;
    if (keepInTail) {
      let tail = this.tails.get(step);
      if (!tail) this.tails.set(step, (tail = []));
      tail.push(text);
      if (tail.length > TAIL_LINES) tail.splice(0, tail.length - TAIL_LINES);
    }
    if (this.log && !this.logBroken) {
      const tag = stream === 'stdout' ? 'out' : stream === 'stderr' ? 'err' : 'fd ';
      this.log.write(`${new Date(this.opts.now()).toISOString()} [${step}] ${tag} ${text}\n`);
    }
    try {
      this.opts.onOutput?.({ step, stream, text });
    } catch {
      // a rendering error must not stop a rollback
    }
  }

  tail(step: string): string[] {
    return [...(this.tails.get(step) ?? [])];
  }

  async close(): Promise<void> {
    const log = this.log;
    this.log = undefined;
    if (!log) return;
    await new Promise<void>((resolve) => {
      log.end(() => resolve());
      log.once('error', () => resolve());
    });
  }
}
