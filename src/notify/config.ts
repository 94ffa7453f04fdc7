/**
 * Turns the plan's `notify:` entries into channels, resolving webhook URLs,
 * header values and SMTP credentials from the environment or files. Every
 * problem is collected and reported at once, naming the variable or file,
 * never a value.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import type { NotifierSpec } from '../plan/schema.js';
import type { HttpTransport } from '../sources/types.js';
import { discordPayload } from './discord.js';
import { createEmailChannel } from './email.js';
import { createFileChannel } from './file.js';
import { makeFilter } from './filter.js';
import { createHttpChannel } from './http-channel.js';
import { redactUrl, urlSecrets } from './redact.js';
import { slackPayload } from './slack.js';
import { teamsPayload } from './teams.js';
import type { Channel, Notification } from './types.js';
import { webhookPayload } from './webhook.js';

export class NotifierConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`notifier configuration: ${problems.join('; ')}`);
    this.name = 'NotifierConfigError';
  }
}

export interface ChannelContext {
  env: Record<string, string | undefined>;
  planDir: string;
  transport: HttpTransport;
  now: () => number;
}

const PAYLOADS: Record<'slack' | 'teams' | 'discord' | 'webhook', (n: Notification) => unknown> = {
  slack: slackPayload,
  teams: teamsPayload,
  discord: discordPayload,
  webhook: webhookPayload,
};

/** Builds one channel per spec; throws NotifierConfigError listing every problem found. */
export function createChannels(specs: readonly NotifierSpec[], ctx: ChannelContext): Channel[] {
  const problems: string[] = [];
  const channels: Channel[] = [];
  const used = new Map<string, number>();
  const unique = (name: string): string => {
    const n = (used.get(name) ?? 0) + 1;
    used.set(name, n);
    return n === 1 ? name : `${name}#${n}`;
  };

  specs.forEach((spec, i) => {
    const label = `notify[${i}]${spec.name ? ` "${spec.name}"` : ''} (${spec.kind})`;
    const local: string[] = [];
    const problem = (msg: string): void => {
      local.push(`${label}: ${msg}`);
    };
    const accepts = makeFilter(spec.events, spec.minSeverity);
    const prefix = spec.name ?? spec.kind;

    if (spec.kind === 'file') {
      if (!spec.path) problem('expected `path`, the JSONL file to append to');
      if (local.length === 0 && spec.path) {
        channels.push(createFileChannel({ name: unique(`${prefix}(${spec.path})`), path: resolvePath(ctx.planDir, spec.path), accepts }));
      }
    } else if (spec.kind === 'email') {
      const smtp = spec.smtp;
      if (!smtp) problem('expected `smtp: { host, port }`');
      const to = [...(spec.to ?? [])];
      if (spec.toEnv) {
        const v = ctx.env[spec.toEnv]?.trim();
        if (!v) problem(`environment variable ${spec.toEnv} (recipients) is not set`);
        else to.push(...v.split(/[,;]/).map((s) => s.trim()).filter(Boolean));
      }
      if (to.length === 0 && !spec.toEnv) problem('expected `to` or `toEnv` (recipients)');
      let user: string | undefined;
      let password: string | undefined;
      if (smtp?.userEnv) {
        user = ctx.env[smtp.userEnv];
        if (!user) problem(`environment variable ${smtp.userEnv} (SMTP user) is not set`);
      }
      if (smtp?.passwordEnv && smtp.passwordFile) problem('expected one of smtp.passwordEnv or smtp.passwordFile, not both');
      else if (smtp?.passwordEnv) {
        password = ctx.env[smtp.passwordEnv];
        if (!password) problem(`environment variable ${smtp.passwordEnv} (SMTP password) is not set`);
      } else if (smtp?.passwordFile) {
        password = readSecretFile(ctx.planDir, smtp.passwordFile, 'SMTP password', problem);
      }
      if (smtp && (smtp.passwordEnv || smtp.passwordFile) && !smtp.userEnv) problem('an SMTP password needs smtp.userEnv');
      if (smtp?.userEnv && !smtp.passwordEnv && !smtp.passwordFile) problem('smtp.userEnv needs smtp.passwordEnv or smtp.passwordFile');
      if (local.length === 0 && smtp) {
        channels.push(
          createEmailChannel({
            name: unique(`${prefix}(${smtp.host}:${smtp.port})`),
            host: smtp.host,
            port: smtp.port,
            secure: smtp.secure,
            user,
            password,
            from: spec.from ?? `flightdeck@${hostname()}`,
            to,
            timeoutMs: spec.timeout,
            retries: spec.retries,
            accepts,
            secrets: [password, user].filter((s): s is string => typeof s === 'string'),
          }),
        );
      }
    } else {
      let url: string | undefined;
      if (spec.urlEnv && spec.urlFile) problem('expected one of urlEnv or urlFile, not both');
      else if (spec.urlEnv) {
        url = ctx.env[spec.urlEnv]?.trim();
        if (!url) problem(`environment variable ${spec.urlEnv} (webhook URL) is not set`);
      } else if (spec.urlFile) {
        url = readSecretFile(ctx.planDir, spec.urlFile, 'webhook URL', problem);
      } else problem('expected `urlEnv` or `urlFile` (webhook URLs are secrets and never written in a plan)');
      if (url !== undefined && !isHttpUrl(url)) {
        problem(`the webhook URL from ${spec.urlEnv ?? spec.urlFile} is not an http(s) URL`);
      }
      const headers: Record<string, string> = {};
      for (const [key, ref] of Object.entries(spec.headers ?? {})) {
        if (ref.env) {
          const v = ctx.env[ref.env];
          if (v === undefined || v === '') problem(`environment variable ${ref.env} (header ${key}) is not set`);
          else headers[key] = v;
        } else if (ref.file) {
          const v = readSecretFile(ctx.planDir, ref.file, `header ${key}`, problem);
          if (v !== undefined) headers[key] = v;
        }
      }
      if (local.length === 0 && url) {
        const kind = spec.kind;
        channels.push(
          createHttpChannel({
            kind,
            name: unique(`${prefix}(${redactUrl(url)})`),
            url,
            headers,
            payload: PAYLOADS[kind],
            timeoutMs: spec.timeout,
            retries: spec.retries,
            accepts,
            transport: ctx.transport,
            now: ctx.now,
            secrets: [...urlSecrets(url), ...Object.values(headers)],
          }),
        );
      }
    }
    problems.push(...local);
  });

  if (problems.length > 0) {
    for (const c of channels) void c.close();
    throw new NotifierConfigError(problems);
  }
  return channels;
}

function resolvePath(planDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(planDir, p);
}

function readSecretFile(planDir: string, file: string, what: string, problem: (m: string) => void): string | undefined {
  try {
    const v = readFileSync(resolvePath(planDir, file), 'utf8').trim();
    if (!v) problem(`${file} (${what}) is empty`);
    return v || undefined;
  } catch (err) {
    problem(`cannot read ${file} (${what}): ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    return undefined;
  }
}

function isHttpUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
