/**
 * `flightdeck audit verify --plan PLAN` and `flightdeck audit export --plan PLAN`: the audit of
 * the store the plan names (its JSONL file, or its rows in PostgreSQL), checked with the same
 * chain walk, or written out as the JSONL the file store keeps.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { verifyAudit, type VerifyResult } from '../audit/verify.js';
import type { LoadedPlan } from '../plan/load.js';
import { chooseStore } from '../store/choose.js';

export async function verifyPlanAudit(loaded: LoadedPlan, out: (l: string) => void, urlEnv?: string): Promise<number> {
  const chosen = await chooseStore(loaded, process.env, urlEnv ? { urlEnv } : {});
  try {
    let r: VerifyResult;
    let where: string;
    if (chosen.postgres) {
      where = `${chosen.postgres.target} flightdeck_audit (plan ${chosen.postgres.key})`;
      r = await chosen.postgres.verifyAudit();
    } else {
      where = resolve(loaded.dir, loaded.plan.audit.file);
      r = await verifyAudit(where);
    }
    if (r.ok) out(`${where}: intact, ${r.lines} line(s)${r.note ? `\nnote: ${r.note}` : ''}`);
    else out(`${where}: row ${r.line}: ${r.problem}`);
    return r.ok ? 0 : 1;
  } finally {
    await chosen.close();
  }
}

export async function exportPlanAudit(loaded: LoadedPlan, outFile: string | undefined, out: (l: string) => void, write: (text: string) => void, urlEnv?: string): Promise<number> {
  const chosen = await chooseStore(loaded, process.env, urlEnv ? { urlEnv } : {});
  try {
    if (!chosen.postgres) {
      out(`the plan keeps its audit in a file already: ${resolve(loaded.dir, loaded.plan.audit.file)}`);
      return 2;
    }
    const text = await chosen.postgres.exportAudit();
    if (outFile) {
      await writeFile(outFile, text, { mode: 0o640 });
      out(`${text.split('\n').length - 1} line(s) written to ${outFile}`);
    } else write(text);
    return 0;
  } finally {
    await chosen.close();
  }
}
