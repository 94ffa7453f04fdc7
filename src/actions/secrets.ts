/** Secret references ({ env } / { file }) resolved at run time, and ${VAR} expansion in paths. */
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';

export interface SecretRef {
  env?: string | undefined;
  file?: string | undefined;
}

/** Errors that name where a secret should come from, never its value. */
export class SecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretError';
  }
}

export async function resolveSecretRef(ref: SecretRef, env: Record<string, string | undefined>, baseDir: string): Promise<string> {
  if (ref.env) {
    const v = env[ref.env];
    if (v === undefined || v === '') throw new SecretError(`environment variable ${ref.env} is not set`);
    return v;
  }
  if (ref.file) {
    const path = isAbsolute(ref.file) ? ref.file : resolve(baseDir, ref.file);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new SecretError(`cannot read secret file ${ref.file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const v = text.replace(/\r?\n$/, '');
    if (v === '') throw new SecretError(`secret file ${ref.file} is empty`);
    return v;
  }
  throw new SecretError('expected a secret reference with env or file');
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
