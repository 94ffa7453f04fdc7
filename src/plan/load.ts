// Placeholder signature; the plan-loader helper replaces this file.
import type { Plan } from './schema.js';

export interface LoadedPlan {
  plan: Plan;
  /** Absolute path of the plan file. */
  file: string;
  /** Directory relative paths in the plan resolve against. */
  dir: string;
}

export interface PlanProblem {
  file: string;
  line: number;
  column: number;
  /** Field path such as stages[0].gates[2].fail */
  path: string;
  message: string;
}

export class PlanError extends Error {
  constructor(readonly problems: PlanProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'PlanError';
  }
}

export function formatProblem(p: PlanProblem): string {
  return `${p.file}:${p.line}:${p.column} ${p.path}: ${p.message}`;
}

export declare function loadPlan(file: string): Promise<LoadedPlan>;
