/**
 * Label sets as promlite keeps them: plain objects whose keys are sorted by
 * name, with a canonical string key per set and Prometheus's ordering.
 */

export type Labels = Readonly<Record<string, string>>;

export const METRIC_NAME = '__name__';
const SEP = '\xff';

/** A copy of `labels` with keys sorted by name and empty values dropped (Prometheus treats "" as absent). */
export function normalizeLabels(labels: Record<string, string>): Labels {
  const out: Record<string, string> = {};
  for (const k of Object.keys(labels).sort()) {
    const v = labels[k];
    if (v !== undefined && v !== '') out[k] = v;
  }
  return out;
}

/** Canonical identity of a (normalized) label set. */
export function labelsKey(labels: Labels): string {
  let key = '';
  for (const k of Object.keys(labels)) key += k + SEP + labels[k] + SEP;
  return key;
}

/** Prometheus's labels.Compare: name by name, then value by value, then length. */
export function compareLabels(a: Labels, b: Labels): number {
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  const n = Math.min(ak.length, bk.length);
  for (let i = 0; i < n; i++) {
    const an = ak[i]!;
    const bn = bk[i]!;
    if (an !== bn) return an < bn ? -1 : 1;
    const av = a[an]!;
    const bv = b[bn]!;
    if (av !== bv) return av < bv ? -1 : 1;
  }
  return ak.length - bk.length;
}

export function withoutLabels(labels: Labels, names: readonly string[]): Labels {
  const out: Record<string, string> = {};
  for (const k of Object.keys(labels)) if (!names.includes(k)) out[k] = labels[k]!;
  return out;
}

export function onlyLabels(labels: Labels, names: readonly string[]): Labels {
  const out: Record<string, string> = {};
  for (const k of Object.keys(labels)) if (names.includes(k)) out[k] = labels[k]!;
  return out;
}

export function dropMetricName(labels: Labels): Labels {
  return METRIC_NAME in labels ? withoutLabels(labels, [METRIC_NAME]) : labels;
}

export type MatchType = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly name: string;
  readonly type: MatchType;
  readonly value: string;
  /** Whether the matcher accepts a label value ("" when the label is absent). */
  matches(value: string): boolean;
}

/** Builds a matcher; regexes are anchored like Prometheus's (^(?:re)$). Throws on a bad regex. */
export function newMatcher(name: string, type: MatchType, value: string): Matcher {
  let test: (v: string) => boolean;
  switch (type) {
    case '=':
      test = (v) => v === value;
      break;
    case '!=':
      test = (v) => v !== value;
      break;
    case '=~':
    case '!~': {
      const re = compileRegex(value);
      test = type === '=~' ? (v) => re.test(v) : (v) => !re.test(v);
      break;
    }
  }
  return { name, type, value, matches: test };
}

/** Go RE2 syntax is close enough to JS for label regexes; a leading (?i) or (?s) becomes a flag. */
export function compileRegex(src: string): RegExp {
  let body = src;
  let flags = '';
  const lead = /^\(\?([is]+)\)/.exec(body);
  if (lead) {
    flags = [...new Set(lead[1]!.split(''))].join('');
    body = body.slice(lead[0].length);
  }
  try {
    return new RegExp(`^(?:${body})$`, flags);
  } catch (err) {
    throw new Error(`invalid regular expression ${JSON.stringify(src)}: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`);
  }
}

export function matchesAll(labels: Labels, matchers: readonly Matcher[]): boolean {
  for (const m of matchers) if (!m.matches(labels[m.name] ?? '')) return false;
  return true;
}
