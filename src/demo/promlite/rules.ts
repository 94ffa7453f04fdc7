/**
 * Prometheus rule files (alerting and recording rules in groups), parsed
 * with `yaml` and checked like `promtool check rules`: durations, names,
 * and every expression parsed up front, so a bad file fails at load with the
 * group and rule named.
 */
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import type { Expr } from './ast.js';
import { parsePromDuration } from './literals.js';
import { parseExpr } from './parse.js';

export interface AlertingRule {
  kind: 'alert';
  name: string;
  expr: Expr;
  exprText: string;
  forMs: number;
  keepFiringForMs: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RecordingRule {
  kind: 'record';
  name: string;
  expr: Expr;
  exprText: string;
  labels: Record<string, string>;
}

export type Rule = AlertingRule | RecordingRule;

export interface RuleGroup {
  name: string;
  /** The group's own evaluation interval, when it sets one. */
  intervalMs?: number;
  rules: Rule[];
}

const stringMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));
const duration = z.union([z.string(), z.number().transform(String)]);
const ruleSchema = z
  .object({
    alert: z.string().optional(),
    record: z.string().optional(),
    expr: z.union([z.string(), z.number().transform(String)]),
    for: duration.optional(),
    keep_firing_for: duration.optional(),
    labels: stringMap.optional(),
    annotations: stringMap.optional(),
  })
  .strict();
const fileSchema = z
  .object({
    groups: z.array(
      z
        .object({
          name: z.string().min(1),
          interval: duration.optional(),
          limit: z.number().int().min(0).optional(),
          rules: z.array(ruleSchema).default([]),
        })
        .strict(),
    ),
  })
  .strict();

export class RuleFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuleFileError';
  }
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Parses a rule file's YAML. Throws RuleFileError naming the group, the rule and the problem. */
export function parseRules(yamlText: string): RuleGroup[] {
  let doc: unknown;
  try {
    doc = parseYaml(yamlText);
  } catch (err) {
    throw new RuleFileError(`rule file is not valid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return [];
  const parsed = fileSchema.safeParse(doc);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new RuleFileError(`rule file: ${i.path.join('.') || 'top level'}: ${i.message}`);
  }
  const seen = new Set<string>();
  return parsed.data.groups.map((g) => {
    if (seen.has(g.name)) throw new RuleFileError(`groupname: "${g.name}" is repeated in the same file`);
    seen.add(g.name);
    const where = (i: number, r: { alert?: string; record?: string }) => `group "${g.name}", rule ${i + 1}${r.alert ? ` (alert ${r.alert})` : r.record ? ` (record ${r.record})` : ''}`;
    const dur = (s: string | undefined, what: string, ctx: string): number => {
      if (s === undefined) return 0;
      try {
        return parsePromDuration(s);
      } catch (err) {
        throw new RuleFileError(`${ctx}: ${what}: ${(err as Error).message}`);
      }
    };
    const group: RuleGroup = { name: g.name, rules: [] };
    if (g.interval !== undefined) {
      const ms = dur(g.interval, 'interval', `group "${g.name}"`);
      if (ms <= 0) throw new RuleFileError(`group "${g.name}": interval must be positive`);
      group.intervalMs = ms;
    }
    g.rules.forEach((r, i) => {
      const ctx = where(i, r);
      if ((r.alert === undefined) === (r.record === undefined)) throw new RuleFileError(`${ctx}: one of 'record' or 'alert' must be set`);
      let expr: Expr;
      try {
        expr = parseExpr(r.expr);
      } catch (err) {
        throw new RuleFileError(`${ctx}: could not parse expression: ${(err as Error).message}`);
      }
      for (const k of [...Object.keys(r.labels ?? {}), ...Object.keys(r.annotations ?? {})]) {
        if (!LABEL_NAME.test(k)) throw new RuleFileError(`${ctx}: invalid label name: ${k}`);
      }
      if (r.record !== undefined) {
        if (!METRIC_NAME.test(r.record)) throw new RuleFileError(`${ctx}: invalid recording rule name: ${r.record}`);
        if (r.for !== undefined || r.annotations || r.keep_firing_for !== undefined) throw new RuleFileError(`${ctx}: invalid field 'for', 'keep_firing_for' or 'annotations' in recording rule`);
        group.rules.push({ kind: 'record', name: r.record, expr, exprText: r.expr, labels: r.labels ?? {} });
      } else {
        if (!LABEL_NAME.test(r.alert!)) throw new RuleFileError(`${ctx}: invalid alert name: ${r.alert}`);
        group.rules.push({
          kind: 'alert',
          name: r.alert!,
          expr,
          exprText: r.expr,
          forMs: dur(r.for, 'for', ctx),
          keepFiringForMs: dur(r.keep_firing_for, 'keep_firing_for', ctx),
          labels: r.labels ?? {},
          annotations: r.annotations ?? {},
        });
      }
    });
    return group;
  });
}
