/**
 * One module per gate kind (#11): the registry and the schema agree, every
 * kind's module is complete, and no kind is switched on outside checks/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GATE_KIND_FIELDS, GATE_KIND_MODULES, GATE_KINDS, gateKind } from '../../checks/index.js';
import { gateSchema } from '../../src/plan/schema.js';
import { parseThreshold } from '../../src/plan/threshold.js';

const root = join(import.meta.dirname, '../..');

function sources(dir: string): Array<{ file: string; text: string }> {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => ({ file: `${dir}/${f}`, text: readFileSync(join(root, dir, f), 'utf8') }));
}

describe('gate kinds registry', () => {
  it('has one module per kind of the schema, and no module without a kind', () => {
    expect(Object.keys(GATE_KIND_MODULES)).toEqual([...GATE_KINDS]);
    for (const [kind, m] of Object.entries(GATE_KIND_MODULES)) expect(m.kind).toBe(kind);
    const shape = Object.keys(gateSchema.shape ?? {});
    for (const kind of GATE_KINDS) {
      expect(Object.keys(GATE_KIND_FIELDS)).toContain(kind);
      expect(shape).toContain(kind);
    }
  });

  it("each kind's part of the schema is its own: a field a module owns is refused on other kinds", () => {
    for (const m of Object.values(GATE_KIND_MODULES)) {
      for (const f of m.ownFields ?? []) expect(Object.keys(GATE_KIND_FIELDS)).toContain(f);
    }
    const r = gateSchema.safeParse({ id: 'x', alert: 'A', expect: 'ok' });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message)).toContain('expected only on a healthField gate');
  });

  it('every default threshold a module gives parses', () => {
    const samples: Record<string, unknown> = {
      query: { id: 'q', query: 'up', fail: '> 0' },
      health: { id: 'h', health: {} },
      healthField: { id: 'f', healthField: 'status', expect: 'ok' },
      alert: { id: 'a', alert: 'A' },
      command: { id: 'c', command: { run: ['true'] } },
      evidence: { id: 'e', evidence: { file: 'r.json', field: 'x' }, fail: '> 0' },
      cardinality: { id: 'k', cardinality: { metric: 'm', label: 'l', allowed: ['a'] } },
      manual: { id: 'm', manual: { item: 'ok?' } },
      compare: { id: 'p', compare: { query: 'rate(x{$cohort}[1m])', canary: '{v="2"}', baseline: '{v="1"}' } },
      score: { id: 's', score: {} },
    };
    expect(Object.keys(samples).sort()).toEqual([...GATE_KINDS].sort());
    for (const [kind, raw] of Object.entries(samples)) {
      const spec = gateSchema.parse(raw);
      expect(gateKind(spec)).toBe(kind);
      const m = GATE_KIND_MODULES[gateKind(spec)];
      expect(typeof m.describe(spec)).toBe('string');
      for (const t of [m.defaultFail?.(spec), m.defaultWarn?.(spec)]) if (t !== undefined) expect(parseThreshold(t), `${kind}: ${t}`).toBeDefined();
    }
  });

  it('the engine and the plan hold no per-kind switch: kinds are looked up in the registry', () => {
    const kinds = GATE_KINDS.join('|');
    const switchOnKind = new RegExp(`(kind\\s*[!=]==\\s*'(${kinds})'|case '(${kinds})':|\\b(spec|gate|g)\\.(${kinds})\\b)`);
    const offenders = [...sources('src/engine'), ...sources('src/plan')]
      .flatMap(({ file, text }) => text.split('\n').map((line, i) => ({ at: `${file}:${i + 1}`, line })))
      .filter(({ line }) => switchOnKind.test(line));
    expect(offenders).toEqual([]);
  });

  it('checks/ depends on the contract, never on the engine', () => {
    const offenders = sources('checks').filter(({ text }) => /from '\.\.\/src\/engine\//.test(text)).map((f) => f.file);
    expect(offenders).toEqual([]);
  });
});
