/**
 * Keeping webhook URLs, tokens and passwords out of everything a notifier
 * reports: names, errors, delivery events and the fallback file.
 */
import { secretMasker } from '../audit/redact.js';

const MASK = '****';

/**
 * `https://hooks.slack.com/services/T0/B0/XYZ?x=1` -> `https://hooks.slack.com/services…/****`.
 * Userinfo, the rest of the path, the query and the fragment never survive.
 */
export function redactUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return MASK;
  }
  const first = u.pathname.split('/').find((s) => s.length > 0);
  return first ? `${u.protocol}//${u.host}/${first}…/${MASK}` : `${u.protocol}//${u.host}/${MASK}`;
}

/** The pieces of a URL that may carry a secret (path segments after the first, query values, userinfo). */
export function urlSecrets(raw: string): string[] {
  const out = [raw];
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return out;
  }
  out.push(u.href, `${u.origin}${u.pathname}`, u.pathname, u.search);
  const segments = u.pathname.split('/').filter((s) => s.length > 0);
  for (const s of segments.slice(1)) {
    out.push(s);
    try {
      out.push(decodeURIComponent(s));
    } catch {
      // A malformed escape: the raw segment is already listed.
    }
  }
  for (const v of u.searchParams.values()) out.push(v);
  if (u.username) out.push(u.username, decodeURIComponent(u.username));
  if (u.password) out.push(u.password, decodeURIComponent(u.password));
  return out;
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi;

/**
 * Builds a function that reduces every URL in a text to its redacted form and
 * then masks the given secrets (longest first) wherever they still appear.
 * Secrets shorter than 4 characters are ignored (they would mangle ordinary words).
 */
export function makeScrubber(secrets: Iterable<string>): (text: string) => string {
  const mask = secretMasker(secrets, MASK);
  return (text: string): string => mask(String(text).replace(URL_IN_TEXT, (m) => redactUrl(m)));
}
