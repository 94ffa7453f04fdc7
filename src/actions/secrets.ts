/**
 * Secret references ({ env } / { file }) resolved to values, for the action
 * runner's HTTP headers and the Prometheus client's token and headers; and
 * ${VAR} expansion in paths.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

export interface SecretRef {
  env?: string | undefined;
  file?: string | undefined;
}

export type ReadFile = (path: string, encoding: 'utf8') => string;

/** Errors that name where a secret should come from, never its value. */
export class SecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretError';
  }
}

/**
 * The value a reference points at, trimmed. Throws SecretError naming the
 * variable or file (never the value) when it is unset, unreadable or empty,
 * or holds a line break or NUL (every secret here is sent as a header).
 * Relative files resolve against `baseDir` when given.
 */
export function resolveSecretRef(
  ref: SecretRef,
  env: Record<string, string | undefined>,
  baseDir?: string,
  readFile: ReadFile = readFileSync,
): string {
  if (ref.env) {
    const raw = env[ref.env];
    if (raw === undefined) throw new SecretError(`environment variable ${ref.env} is not set`);
    return headerSafe(raw.trim(), `environment variable ${ref.env}`);
  }
  if (ref.file) {
    const path = baseDir && !isAbsolute(ref.file) ? resolve(baseDir, ref.file) : ref.file;
    let text: string;
    try {
      text = readFile(path, 'utf8');
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      throw new SecretError(`cannot read file ${path}${typeof code === 'string' ? ` (${code})` : ''}`);
    }
    return headerSafe(text.trim(), `file ${path}`);
  }
  throw new SecretError('expected a secret reference with env or file');
}

function headerSafe(v: string, where: string): string {
  if (!v) throw new SecretError(`${where} is empty`);
  if (/[\r\n\0]/.test(v)) throw new SecretError(`${where} contains a line break or NUL and cannot be sent as a header`);
  return v;
}

/**
 * Expands ${NAME} and $NAME from `env`. Unset names are an error (a path that
 * silently became "" would check the wrong file).
 */
export function expandEnv(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    const v = env[name];
    if (v === undefined) throw new Error(`environment variable ${name} is not set`);
    return v;
  });
}
