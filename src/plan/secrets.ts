/**
 * Literal secrets in a plan are refused before the schema runs, so that an
 * unknown-key error never hides (or echoes) a pasted token. Findings name the
 * field and say where the secret belongs instead; they never contain the value.
 */
export type PathSeg = string | number;

export interface SecretFinding {
  path: PathSeg[];
  /** Point at the key (a secret-named field) or at the value (a credential-bearing string). */
  at: 'key' | 'value';
  message: string;
}

/** Keys whose literal value is a secret, compared lower-cased without "_" and "-". */
const SECRET_KEYS = new Set([
  'token', 'accesstoken', 'authtoken', 'bearertoken', 'apitoken', 'password', 'passwd', 'passphrase',
  'apikey', 'secret', 'secretkey', 'clientsecret', 'privatekey', 'accesskey', 'authorization',
  'webhook', 'webhookurl', 'credentials', 'cookie',
]);
/** Suffixes that make a key secret (SLACK_WEBHOOK_URL, deployToken, DB_PASSWORD, …). */
const SECRET_SUFFIXES = ['token', 'password', 'passwd', 'secret', 'apikey', 'webhookurl', 'webhook', 'privatekey'];

/** Header names whose value is a credential. */
const SECRET_HEADER = /^(authorization|proxy-authorization|cookie|x-api-key|x-[a-z0-9-]*-key|x-[a-z0-9-]*-token|x-auth-[a-z0-9-]*)$/i;

const WEBHOOK_URL = [
  /^https?:\/\/hooks\.slack\.com\//i,
  /^https?:\/\/(?:[a-z0-9-]+\.)?discord(?:app)?\.com\/api\/webhooks\//i,
  /^https?:\/\/[a-z0-9-]+\.webhook\.office\.com\//i,
  /^https?:\/\/outlook\.office(?:365)?\.com\/webhook/i,
  /^https?:\/\/[^/]*\.logic\.azure\.com\/.*[?&]sig=/i,
];
const URL_WITH_CREDENTIALS = /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]+:[^/@\s]*@/i;
const AUTH_SCHEME = /^(bearer|basic|token)\s+\S{6,}/i;
const SECRET_FLAG = /^--?(?:[a-z0-9-]*-)?(token|password|passwd|secret|api-?key|webhook(?:-url)?)$/i;
const SECRET_FLAG_WITH_VALUE = /^--?(?:[a-z0-9-]*-)?(token|password|passwd|secret|api-?key|webhook(?:-url)?)=.+/i;

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[_-]/g, '');
}

/** True for keys such as token, api_key, SLACK_WEBHOOK_URL; false for tokenEnv, passwordFile, urlEnv. */
export function isSecretKey(key: string): boolean {
  const k = normalizeKey(key);
  if (k.endsWith('env') || k.endsWith('file') || k.endsWith('path')) return false;
  return SECRET_KEYS.has(k) || SECRET_SUFFIXES.some((s) => k.endsWith(s));
}

function hint(key: string): string {
  const k = normalizeKey(key);
  if (k === 'token' || k.endsWith('token')) return 'use tokenEnv or tokenFile';
  if (k.includes('password') || k.includes('passwd')) return 'use passwordEnv or passwordFile';
  if (k.includes('webhook') || k === 'url') return 'use urlEnv or urlFile';
  return 'put it in the environment or a file and reference it with { env: NAME } or { file: PATH }';
}

/** What is wrong with a string value, or undefined when it holds no credential. */
function credentialInValue(value: string): string | undefined {
  const v = value.trim();
  if (WEBHOOK_URL.some((re) => re.test(v))) return 'a webhook URL is a secret and is not allowed inline in a plan; use urlEnv or urlFile';
  if (URL_WITH_CREDENTIALS.test(v)) return 'a URL with a user and password is not allowed in a plan; put the credentials in the environment or a file';
  if (AUTH_SCHEME.test(v)) return 'a literal credential is not allowed in a plan; put it in the environment or a file';
  if (SECRET_FLAG_WITH_VALUE.test(v)) return 'a literal secret on a command line is not allowed in a plan; pass it through the environment';
  return undefined;
}

function literal(v: unknown): boolean {
  return (typeof v === 'string' && v.trim() !== '') || typeof v === 'number' || typeof v === 'bigint';
}

/**
 * Every literal secret in the plan as parsed (JSON.parse's value, or the YAML document's toJS(),
 * where an alias is its anchor's object), in the plan's key order.
 */
export function findLiteralSecrets(root: unknown): SecretFinding[] {
  const out: SecretFinding[] = [];
  const seen = new Set<object>();

  const walk = (n: unknown, path: PathSeg[], parentKey: string | undefined): void => {
    if (!n || typeof n !== 'object') {
      if (typeof n === 'string') {
        const problem = credentialInValue(n);
        if (problem) out.push({ path, at: 'value', message: problem });
      }
      return;
    }
    if (seen.has(n)) return; // an alias repeats its anchor: report it once
    seen.add(n);
    if (Array.isArray(n)) {
      n.forEach((item: unknown, i) => {
        const prev: unknown = i > 0 ? n[i - 1] : undefined;
        if (typeof prev === 'string' && SECRET_FLAG.test(prev) && literal(item)) {
          out.push({ path: [...path, i], at: 'value', message: `a literal secret after ${prev} is not allowed in a plan; pass it through the environment` });
          return;
        }
        walk(item, [...path, i], undefined);
      });
      return;
    }
    for (const [key, value] of Object.entries(n)) {
      const p = [...path, key];
      if (parentKey === 'headers' && SECRET_HEADER.test(key) && literal(value)) {
        out.push({ path: p, at: 'value', message: `header ${key} carries a credential: give it as { env: NAME } or { file: PATH }, never as a literal string` });
        continue;
      }
      if (isSecretKey(key) && literal(value)) {
        out.push({ path: p, at: 'key', message: `a literal secret is not allowed in a plan; ${hint(key)}` });
        continue;
      }
      walk(value, p, key);
    }
  };

  walk(root, [], undefined);
  return out;
}
