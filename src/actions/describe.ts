/** What an action will run, one line a step: shown before it runs (the dialogs) and audited when it starts. */
import type { ActionSpec } from '../plan/schema.js';
import { planSteps, type PlannedStep } from './steps.js';

/** One line a step: "deploy: ./scripts/deploy.sh --env production" or "toggle: POST http://…". */
export function describeAction(spec: ActionSpec, kind: 'promote' | 'rollback', dryRun: boolean): string[] {
  return planSteps(spec, kind).map((s: PlannedStep) => {
    const tags = [s.optional ? 'optional' : '', s.precondition ? 'precondition' : ''].filter(Boolean);
    const suffix = tags.length ? ` (${tags.join(', ')})` : '';
    if (dryRun && !s.dryRun) return `${s.name}: skipped under --dry-run${suffix}`;
    const what = s.run ? [...s.run, ...(dryRun && s.dryRun ? s.dryRun : [])].join(' ') : `${s.http!.method} ${s.http!.url}`;
    return `${s.name}: ${what}${suffix}`;
  });
}
