/**
 * Numbers, times and results written exactly as Prometheus 2.42's HTTP API
 * writes them: sample values as strings in 'f' form ("0.042", "0.0000001",
 * "NaN", "+Inf"), timestamps as seconds (ms precision), alert values in %e
 * form ("4.2e-02"), RFC 3339 times with trailing zeros trimmed.
 */
import type { Labels } from './labels.js';
import type { MatrixSeries, Value } from './values.js';

function special(v: number): string | undefined {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Object.is(v, -0)) return '-0';
  return undefined;
}

/** Go's exponent has at least two digits: 1e-7 -> 1e-07. */
function goExponent(s: string): string {
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

/** strconv.FormatFloat(v, 'f', -1, 64): the shortest digits that round-trip, never an exponent. */
export function formatFixed(v: number): string {
  const sp = special(v);
  if (sp) return sp;
  const s = String(v);
  if (!s.includes('e')) return s;
  const [mantissa, expText] = v.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const sign = mantissa.startsWith('-') ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '');
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intLen = exp + 1;
  return digits.length <= intLen ? `${sign}${digits}${'0'.repeat(intLen - digits.length)}` : `${sign}${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
}

/** A sample value as the API sends it (2.42 writes every value in 'f' form: "0.0000001", "NaN", "+Inf"). */
export function formatSampleValue(v: number): string {
  return formatFixed(v);
}

/** strconv.FormatFloat(v, 'e', -1, 64), as /api/v1/alerts writes values. */
export function formatAlertValue(v: number): string {
  return special(v) ?? goExponent(v.toExponential());
}

/** fmt's %v for a float64 (text/template's {{ $value }}): shortest digits, %e when the exponent is < -4 or >= 6. */
export function formatGoDefault(v: number): string {
  const sp = special(v);
  if (sp) return sp;
  if (v === 0) return '0';
  const e = v.toExponential();
  const exp = Number(e.split('e')[1]);
  return exp < -4 || exp >= 6 ? goExponent(e) : formatFixed(v);
}

/** ms -> seconds as a JSON number, as the API writes sample times ("1000.123", "1767225600.5"). */
export function formatTimestamp(ms: number): string {
  return formatFixed(Math.trunc(ms) / 1000 || 0);
}

/** time.Time's RFC3339Nano form in UTC: "2026-01-01T12:00:05.1Z", fraction trimmed. */
export function formatRfc3339(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.replace(/\.(\d+)Z$/, (_m, f: string) => (/^0+$/.test(f) ? 'Z' : `.${f.replace(/0+$/, '')}Z`));
}

/** A label set as JSON with its names in order. */
export function labelsJson(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(labels[k])}`).join(',')}}`;
}

const pair = (t: number, v: number): string => `[${formatTimestamp(t)},${JSON.stringify(formatSampleValue(v))}]`;

function matrixJson(series: readonly MatrixSeries[]): string {
  return `[${series.map((s) => `{"metric":${labelsJson(s.labels)},"values":[${s.points.map((p) => pair(p.t, p.v)).join(',')}]}`).join(',')}]`;
}

/** The `data` of an instant query answer. */
export function instantDataJson(value: Value, ts: number): string {
  switch (value.type) {
    case 'scalar':
      return `{"resultType":"scalar","result":${pair(ts, value.v)}}`;
    case 'string':
      return `{"resultType":"string","result":[${formatTimestamp(ts)},${JSON.stringify(value.s)}]}`;
    case 'vector':
      return `{"resultType":"vector","result":[${value.samples.map((s) => `{"metric":${labelsJson(s.labels)},"value":${pair(ts, s.v)}}`).join(',')}]}`;
    case 'matrix':
      return `{"resultType":"matrix","result":${matrixJson(value.series)}}`;
  }
}

/** The `data` of a range query answer. */
export function rangeDataJson(series: readonly MatrixSeries[]): string {
  return `{"resultType":"matrix","result":${matrixJson(series)}}`;
}

export function successJson(dataJson: string): string {
  return `{"status":"success","data":${dataJson}}`;
}

export function errorJson(errorType: string, error: string): string {
  return JSON.stringify({ status: 'error', errorType, error });
}
