/**
 * URLs in a plan (Prometheus, nodes, HTTP actions) are absolute http:// or
 * https:// URLs. `localhost:9090` parses as a URL with the scheme
 * "localhost:", and would only fail at run time: it is refused here, with
 * the URL it was probably meant to be.
 */
import * as z from 'zod';

/** Why `s` is not an absolute http(s) URL, or undefined when it is one. */
export function httpUrlProblem(s: string, example: string): string | undefined {
  const base = `expected an absolute URL such as ${example}`;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    // host:port, host/path, an IP: a URL without its scheme.
    if (/^[\w.-]+(:\d+)?(\/|$)/.test(s) || /^\[[0-9a-f:.]+\](:\d+)?(\/|$)/i.test(s)) {
      const hint = s.length <= 60 && !/[@?#\s]/.test(s) ? `: write http://${s}` : ' (http:// or https://)';
      return `${base}; this one has no scheme${hint}`;
    }
    return base;
  }
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return base;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${base}; the scheme must be http:// or https://, not ${url.protocol}//`;
  if (url.hostname === '') return `${base}; it has no host`;
  return undefined;
}

/** A zod string that must be an absolute http(s) URL. */
export function httpUrl(example: string) {
  return z.string().superRefine((s, ctx) => {
    const why = httpUrlProblem(s, example);
    if (why) ctx.addIssue({ code: 'custom', message: why });
  });
}
