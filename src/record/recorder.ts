/** Writes a session's observations, commands and events to a recording file, secrets redacted. */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { createGzip, type Gzip } from 'node:zlib';
import { redact } from '../audit/log.js';
import type { Engine } from '../engine/engine.js';
import { RECORDING_VERSION, type RecordingEntry, type RecordingHeader } from './format.js';

export class Recorder {
  private readonly out: WriteStream;
  private readonly gzip: Gzip | null;
  private readonly sink: NodeJS.WritableStream;
  private detach: Array<() => void> = [];
  private closed = false;
  lines = 0;

  constructor(
    readonly file: string,
    private readonly secrets: string[] = [],
  ) {
    mkdirSync(dirname(file), { recursive: true });
    this.out = createWriteStream(file, { flags: 'w', mode: 0o600 });
    this.gzip = file.endsWith('.gz') ? createGzip() : null;
    if (this.gzip) this.gzip.pipe(this.out);
    this.sink = this.gzip ?? this.out;
  }

  /** Starts recording an engine: the header now, then everything it does. */
  attach(engine: Engine, header: Omit<RecordingHeader, 'kind' | 'version' | 'windowStart' | 'stageIndex' | 'startedAt'> & { startedAt?: number }): void {
    const st = engine.getState();
    this.write({ kind: 'header', version: RECORDING_VERSION, windowStart: engine.windowStart, stageIndex: st.stageIndex, rollout: engine.rolloutPosition(), startedAt: header.startedAt ?? st.now, ...header });
    this.detach.push(
      engine.tap({
        observation: (o) => this.write({ kind: 'obs', ...o }),
        command: (cmd, at) => this.write({ kind: 'cmd', at, cmd }),
      }),
      engine.on((event, origin) => this.write({ kind: 'event', origin, event })),
    );
  }

  write(entry: RecordingEntry): void {
    if (this.closed) return;
    this.sink.write(`${JSON.stringify(redact(entry, this.secrets))}\n`);
    this.lines++;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const d of this.detach) d();
    await new Promise<void>((resolve, reject) => {
      this.out.once('finish', resolve);
      this.out.once('error', reject);
      this.sink.end();
    });
  }
}
