/**
 * A parser for the Prometheus text exposition format (0.0.4): HELP/TYPE
 * comments, samples with optional labels and timestamp, label value escapes
 * (\\, \", \n). Histograms and summaries are plain samples here
 * (`_bucket{le}`, `_sum`, `_count`), exactly as a Prometheus server stores them.
 * Values are read by the client's parsePromNumber (Go's ParseFloat: decimals,
 * exponents, NaN and ±Inf).
 */
import { parsePromNumber } from '../../sources/prometheus.js';

export interface ScrapedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** Milliseconds, when the exposition gave one. */
  timestamp?: number;
}

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Exposition {
  samples: ScrapedSample[];
  /** TYPE lines, by metric family name. */
  types: Map<string, MetricType>;
}

export class ExpositionError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'ExpositionError';
  }
}

const METRIC_NAME = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL_NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function parseExposition(text: string): Exposition {
  const samples: ScrapedSample[] = [];
  const types = new Map<string, MetricType>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '').trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      parseComment(line, i + 1, types);
      continue;
    }
    samples.push(parseSample(line, i + 1));
  }
  return { samples, types };
}

function parseComment(line: string, lineNo: number, types: Map<string, MetricType>): void {
  const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s+(.*))?$/.exec(line);
  if (!m) return; // any other comment
  const name = m[2]!;
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new ExpositionError(lineNo, `invalid metric name ${JSON.stringify(name)} in ${m[1]} line`);
  if (m[1] === 'TYPE') {
    const type = (m[3] ?? '').trim() as MetricType;
    if (!TYPES.has(type)) throw new ExpositionError(lineNo, `invalid metric type ${JSON.stringify(m[3] ?? '')} for ${name}`);
    if (types.has(name)) throw new ExpositionError(lineNo, `second TYPE line for metric name ${JSON.stringify(name)}`);
    types.set(name, type);
  }
}

function parseSample(line: string, lineNo: number): ScrapedSample {
  let pos = 0;
  const fail = (msg: string): never => {
    throw new ExpositionError(lineNo, `${msg} at column ${pos + 1}: ${line.slice(0, 120)}`);
  };
  const skipSpace = () => {
    while (pos < line.length && (line[pos] === ' ' || line[pos] === '\t')) pos++;
  };
  METRIC_NAME.lastIndex = 0;
  const nm = METRIC_NAME.exec(line);
  if (!nm) return fail('expected a metric name');
  const name = nm[0];
  pos = name.length;
  skipSpace();
  const labels: Record<string, string> = {};
  if (line[pos] === '{') {
    pos++;
    for (;;) {
      skipSpace();
      if (line[pos] === '}') {
        pos++;
        break;
      }
      LABEL_NAME.lastIndex = pos;
      const lm = LABEL_NAME.exec(line);
      if (!lm) return fail('expected a label name or "}"');
      const label = lm[0];
      pos += label.length;
      skipSpace();
      if (line[pos] !== '=') return fail(`expected "=" after label ${label}`);
      pos++;
      skipSpace();
      if (line[pos] !== '"') return fail(`expected a quoted value for label ${label}`);
      pos++;
      let value = '';
      for (;;) {
        const c = line[pos];
        if (c === undefined) return fail(`unterminated value for label ${label}`);
        pos++;
        if (c === '"') break;
        if (c === '\\') {
          const e = line[pos++];
          if (e === undefined) return fail(`unterminated value for label ${label}`);
          value += e === 'n' ? '\n' : e === '\\' || e === '"' ? e : `\\${e}`;
        } else {
          value += c;
        }
      }
      if (label in labels) return fail(`duplicate label ${label}`);
      labels[label] = value;
      skipSpace();
      if (line[pos] === ',') pos++;
      else if (line[pos] !== '}') return fail('expected "," or "}" after a label');
    }
    skipSpace();
  }
  const rest = line.slice(pos).trim().split(/[ \t]+/);
  if (rest.length === 0 || rest[0] === '') return fail(`expected a value for ${name}`);
  if (rest.length > 2) return fail(`unexpected text after the timestamp for ${name}`);
  const value = parsePromNumber(rest[0]!);
  if (value === undefined) return fail(`invalid value ${JSON.stringify(rest[0])} for ${name}`);
  const sample: ScrapedSample = { name, labels, value };
  if (rest[1] !== undefined) {
    if (!/^-?\d+$/.test(rest[1])) return fail(`invalid timestamp ${JSON.stringify(rest[1])} for ${name}`);
    sample.timestamp = Number(rest[1]);
  }
  return sample;
}
