/** Reads a recording back, with a clear error for a file that is not one. */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { RECORDING_VERSION, type RecordingEntry, type RecordingHeader } from './format.js';

export interface Recording {
  header: RecordingHeader;
  entries: Exclude<RecordingEntry, RecordingHeader>[];
}

export async function readRecording(file: string): Promise<Recording> {
  const buf = await readFile(file);
  const gz = buf[0] === 0x1f && buf[1] === 0x8b;
  const text = (gz ? gunzipSync(buf) : buf).toString('utf8');
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const parsed: RecordingEntry[] = [];
  for (const [i, line] of lines.entries()) {
    try {
      parsed.push(JSON.parse(line) as RecordingEntry);
    } catch {
      // A recording cut short (the process was killed mid-line) keeps what came before.
      if (i === lines.length - 1) break;
      throw new Error(`${file}:${i + 1}: not a JSON line`);
    }
  }
  const header = parsed[0];
  if (!header || header.kind !== 'header') throw new Error(`${file}: not a Flightdeck recording (no header line)`);
  if (header.version !== RECORDING_VERSION) throw new Error(`${file}: recording version ${header.version}, this Flightdeck reads ${RECORDING_VERSION}`);
  return { header, entries: parsed.slice(1) as Recording['entries'] };
}
