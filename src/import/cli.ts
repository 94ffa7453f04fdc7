/** `flightdeck import argo|prometheus-rules|dhash FILE`: writes a plan (stdout or --out) and checks it loads. */
import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { parsePlanText, PlanError } from '../plan/load.js';
import { importArgo } from './argo.js';
import { importDhash } from './dhash.js';
import { importPrometheusRules } from './prometheus-rules.js';
import { ImportError, renderImport, type ImportResult } from './render.js';

export type ImportKind = 'argo' | 'prometheus-rules' | 'dhash';

export interface ImportFlags {
  out?: string;
  service?: string;
  prometheusUrl?: string;
  /** argo: NAME=VALUE */
  arg?: string[];
  rollout?: string;
  /** dhash */
  env?: string;
  nodesFile?: string;
}

/** The plan text, already loaded back through the plan loader. Throws ImportError or PlanError. */
export async function importToText(kind: ImportKind, file: string, flags: ImportFlags): Promise<{ text: string; result: ImportResult }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ImportError(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const sourceName = basename(file);
  let result: ImportResult;
  if (kind === 'argo') {
    const args: Record<string, string> = {};
    for (const a of flags.arg ?? []) {
      const i = a.indexOf('=');
      if (i <= 0) throw new ImportError(`--arg ${a}: expected NAME=VALUE`);
      args[a.slice(0, i)] = a.slice(i + 1);
    }
    result = importArgo(text, { sourceName, args, service: flags.service, rollout: flags.rollout, prometheusUrl: flags.prometheusUrl });
  } else if (kind === 'prometheus-rules') {
    result = importPrometheusRules(text, { sourceName, service: flags.service, prometheusUrl: flags.prometheusUrl });
  } else {
    let nodes: Array<{ name: string; url: string }> | undefined;
    if (flags.nodesFile) {
      try {
        const parsed = JSON.parse(await readFile(flags.nodesFile, 'utf8')) as unknown;
        const list = Array.isArray(parsed) ? parsed : (parsed as { nodes?: unknown }).nodes;
        if (!Array.isArray(list)) throw new Error('expected a JSON array of {name, url} (or {nodes: [...]})');
        nodes = list.map((n: { name: string; url: string }) => ({ name: n.name, url: n.url }));
      } catch (err) {
        throw new ImportError(`--nodes-file ${flags.nodesFile}: ${(err as Error).message}`);
      }
    }
    result = importDhash(text, { sourceName, env: flags.env, service: flags.service, prometheusUrl: flags.prometheusUrl, nodes });
  }
  const out = renderImport(result);
  // What we write must load: the same loader `validate` uses.
  const target = flags.out ?? 'imported-plan.yaml';
  parsePlanText(out, target, dirname(resolve(target)));
  return { text: out, result };
}

export async function runImport(kind: ImportKind, file: string, flags: ImportFlags, err: (l: string) => void, out: (s: string) => void): Promise<number> {
  try {
    const { text, result } = await importToText(kind, file, flags);
    if (flags.out) {
      await writeFile(flags.out, text);
      const notes = result.notes.length;
      err(`${flags.out}: ${countGates(result)} gate(s), ${notes} note(s), ${result.skipped.length} item(s) not imported — read the NOTEs`);
    } else out(text);
    return 0;
  } catch (e) {
    if (e instanceof ImportError) err(`flightdeck import ${kind}: ${e.message}`);
    else if (e instanceof PlanError) err(`flightdeck import ${kind}: the written plan does not validate (a bug):\n${e.message}`);
    else err(`flightdeck import ${kind}: ${(e as Error).message}`);
    return 2;
  }
}

function countGates(r: ImportResult): number {
  const stages = (r.plan.stages ?? []) as Array<{ gates?: unknown[] }>;
  return stages.reduce((n, s) => n + (s.gates?.length ?? 0), 0);
}
