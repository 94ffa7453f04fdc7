/**
 * The README's playbook example (seed 001's rollback) is a valid plan fragment
 * and says what the runner does with it: the options it documents exist.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { planSteps, resolveInclude } from '../../src/actions/steps.js';
import { actionSchema } from '../../src/plan/schema.js';

const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');

describe('README: playbooks', () => {
  const block = /## Playbooks \(promote and rollback\)[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];

  it('has the seed 001 rollback example, and it parses', () => {
    expect(block).toBeDefined();
    const spec = actionSchema.parse(parse(block!).rollback);
    const steps = planSteps(spec, 'rollback');
    expect(steps.map((s) => [s.name, s.optional, s.continueOnFailure, s.leftovers ?? 'kill', s.precondition ? Object.keys(s.precondition) : []])).toEqual([
      ['Flip global mode to warn', false, false, 'kill', []],
      ['Disable the flag (mode=off) on specific endpoints', true, false, 'kill', []],
      ['Roll back to the previous tag', true, false, 'leave', []],
      ['Restore the snapshot', true, false, 'kill', ['sha256']],
      ['Log a post-incident note', false, true, 'kill', []],
    ]);
    expect(resolveInclude(spec, 'rollback', ['Restore the snapshot'])).toMatchObject({ ok: true, include: ['Restore the snapshot'] });
    expect(resolveInclude(spec, 'rollback', ['restore-snapshot'])).toMatchObject({ ok: false });
  });

  it('documents every step option the schema accepts', () => {
    for (const opt of ['optional', 'continueOnFailure', 'precondition', 'leftovers', 'timeout', 'dryRun', '--include', '--notify-wait', 'partial']) {
      expect(readme).toContain(opt);
    }
  });
});
