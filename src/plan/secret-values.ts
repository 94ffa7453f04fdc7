/**
 * The secret values a plan refers to (tokens, webhook URLs, passwords,
 * secret headers), resolved from the environment and files, so that every
 * writer (audit, recordings, logs, the screen) can mask them.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Plan } from './schema.js';

const SECRET_ENV_KEYS = new Set(['tokenEnv', 'urlEnv', 'passwordEnv', 'userEnv']);
const SECRET_FILE_KEYS = new Set(['tokenFile', 'urlFile', 'passwordFile']);

export function collectSecretValues(plan: Plan, env: Record<string, string | undefined>, planDir: string): string[] {
  const out = new Set<string>();
  const add = (v: string | undefined) => {
    const t = v?.trim();
    if (t && t.length >= 4) out.add(t);
  };
  const fromFile = (f: string) => {
    try {
      add(readFileSync(isAbsolute(f) ? f : resolve(planDir, f), 'utf8'));
    } catch {
      // A missing secret file is reported by whoever needs the secret.
    }
  };
  const walk = (node: unknown, key?: string): void => {
    if (Array.isArray(node)) return node.forEach((n) => walk(n));
    if (node === null || typeof node !== 'object') {
      if (typeof node === 'string' && key) {
        if (SECRET_ENV_KEYS.has(key)) add(env[node]);
        if (SECRET_FILE_KEYS.has(key)) fromFile(node);
      }
      return;
    }
    const o = node as Record<string, unknown>;
    // A secretRef: { env } or { file } (header values).
    const keys = Object.keys(o);
    if (keys.length === 1 && typeof o.env === 'string') add(env[o.env]);
    if (keys.length === 1 && typeof o.file === 'string') fromFile(o.file);
    for (const [k, v] of Object.entries(o)) walk(v, k);
  };
  walk(plan);
  return [...out];
}
