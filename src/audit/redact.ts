/**
 * Keeping secrets out of everything Flightdeck writes down: audit lines,
 * action logs, step results. Three passes: known secret values are replaced
 * wherever they appear, URL credentials (user:password@ and secret-looking
 * query parameters) are stripped, and values under secret-looking keys
 * (Authorization, X-API-Key, password, token…) are masked.
 */

export const REDACTED = '[REDACTED]';

/** Secrets shorter than this are not searched for: masking "a" would wreck every line. */
const MIN_SECRET_LENGTH = 4;

/** Keys whose string values are secrets. `tokenEnv`/`passwordFile` name a reference, not a value. */
const SECRET_KEY = /(authorization|api[-_]?key|token|secret|password|passwd|cookie|signature|credential)/i;
const REFERENCE_KEY = /(env|file)$/i;

const SECRET_QUERY_PARAM = /^(access_token|token|api[-_]?key|key|secret|password|passwd|pass|sig|signature|auth|code)$/i;

/** scheme://user:password@host or scheme://token@host */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"']+@/gi;
/** Secret-looking query parameters inside any URL in a text. */
const URL_QUERY_SECRET = /([?&])(access_token|token|api[-_]?key|key|secret|password|passwd|pass|sig|signature|auth|code)=[^&#\s"']*/gi;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !REFERENCE_KEY.test(key);
}

/** Usable secrets: non-empty, long enough, longest first (so a secret containing another is masked whole). */
export function normaliseSecrets(secrets: Iterable<string | undefined>): string[] {
  const set = new Set<string>();
  for (const s of secrets) {
    if (typeof s !== 'string') continue;
    const t = s.trim();
    if (t.length >= MIN_SECRET_LENGTH) set.add(t);
    if (s.length >= MIN_SECRET_LENGTH) set.add(s);
  }
  return [...set].sort((a, b) => b.length - a.length);
}

/**
 * A function that replaces the given secret values (normalised as above) with
 * `mask` wherever they appear. The one known-value masker: the Prometheus
 * client ('***') and the notifier's scrubber ('****') use it with their own mask.
 */
export function secretMasker(secrets: Iterable<string | undefined>, mask = REDACTED): (text: string) => string {
  const list = normaliseSecrets(secrets);
  return (text) => {
    let out = text;
    for (const s of list) if (out.includes(s)) out = out.split(s).join(mask);
    return out;
  };
}

function stripUrlSecrets(text: string): string {
  return text.replace(URL_CREDENTIALS, `$1${REDACTED}@`).replace(URL_QUERY_SECRET, `$1$2=${REDACTED}`);
}

/** Masks known secret values and URL credentials in one string. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  return stripUrlSecrets(secretMasker(secrets)(text));
}

/** A URL fit to record: no user:password, no secret-looking query values. Invalid URLs are masked text. */
export function redactUrl(url: string, secrets: readonly string[] = []): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return redactText(url, secrets);
  }
  if (u.username || u.password) {
    u.username = '';
    u.password = '';
  }
  for (const name of [...u.searchParams.keys()]) {
    if (SECRET_QUERY_PARAM.test(name)) u.searchParams.set(name, REDACTED);
  }
  return redactText(u.toString(), secrets);
}

/**
 * A deep copy of `value` with secrets removed: known secret values and URL
 * credentials masked in every string (keys included), and every string under
 * a secret-looking key replaced. Cycles become "[Circular]".
 */
export function redact<T>(value: T, secrets: readonly string[] = []): T {
  const maskKnown = secretMasker(secrets);
  const clean = (s: string): string => stripUrlSecrets(maskKnown(s));
  const seen = new WeakSet<object>();
  const walk = (v: unknown, key?: string): unknown => {
    if (typeof v === 'string') {
      if (key !== undefined && isSecretKey(key) && v.length > 0) return REDACTED;
      return clean(v);
    }
    if (v === null || typeof v !== 'object') return v;
    if (seen.has(v)) return '[Circular]';
    seen.add(v);
    if (Array.isArray(v)) {
      const arr = v.map((item) => walk(item, key));
      seen.delete(v);
      return arr;
    }
    if (v instanceof Date) return v.toISOString();
    const out: Record<string, unknown> = {};
    for (const [k, inner] of Object.entries(v as Record<string, unknown>)) {
      out[clean(k)] = walk(inner, k);
    }
    seen.delete(v);
    return out;
  };
  return walk(value) as T;
}
