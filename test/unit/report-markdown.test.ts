import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRecording } from '../../src/record/read.js';
import { mdCode, mdFence, mdText, renderMarkdown } from '../../src/report/markdown.js';
import type { ReportModel } from '../../src/report/model.js';
import { summarise } from '../../src/report/summary.js';
import { recordWindow, SECRET, type Scenario } from './report-fixture.js';

let dir: string;
const models = new Map<Scenario, ReportModel>();
const md = new Map<Scenario, string>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-report-md-'));
  for (const s of ['rollback', 'pass', 'failed-rollback', 'interrupted', 'complete'] as const) {
    const m = summarise(await readRecording((await recordWindow(dir, s)).file));
    models.set(s, m);
    md.set(s, renderMarkdown(m));
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lines = (s: Scenario) => md.get(s)!.split('\n');
/** Cells of a table row, split on pipes that are not escaped. */
const cells = (row: string) => row.replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/).map((c) => c.trim());

describe('Markdown report', () => {
  it('opens with the service, environment and verdict, then the reasons', () => {
    const l = lines('rollback');
    expect(l[0]).toBe('# dhash · production — Rolled back');
    const v = l.indexOf('> **Verdict: ROLLED BACK**');
    expect(v).toBeGreaterThan(0);
    expect(l[v + 1]).toMatch(/^> - half-50 rolled back at \+5m\d+s: auto-rollback, error-rate-50 failing: 9% > 5% for 20s$/);
    expect(lines('pass')[0]).toBe('# dhash · production — Passed');
    expect(lines('failed-rollback')).toContain('> **Verdict: FAILED**');
    expect(lines('interrupted')).toContain('> **Verdict: INTERRUPTED**');
    expect(lines('complete')[0]).toBe('# dhash · production — Rollout complete');
    expect(l).toContain('- **Recorded by:** alice');
  });

  it('has well-formed GitHub tables: every row has as many cells as its header', () => {
    const all = lines('rollback');
    let tables = 0;
    for (let i = 0; i < all.length; i++) {
      if (!all[i]!.startsWith('|') || all[i - 1]?.startsWith('|')) continue;
      tables++;
      const width = cells(all[i]!).length;
      expect(all[i + 1]).toBe(`| ${Array(width).fill('---').join(' | ')} |`);
      for (let j = i + 2; all[j]?.startsWith('|'); j++) expect(cells(all[j]!), all[j]).toHaveLength(width);
    }
    expect(tables).toBeGreaterThanOrEqual(9);
  });

  it('has a stages table with entry, exit, rollback and status', () => {
    const m = models.get('rollback')!;
    const row = lines('rollback').find((x) => x.startsWith('| 2 | `half-50`'))!;
    expect(cells(row)).toEqual(['2', '`half-50`', expect.stringMatching(/^\+1m42s \(12:01:42\)$/), 'promote', '–', 'stayed, rolled back', expect.stringMatching(/^\+5m\d+s \(12:05:\d\d\)$/), expect.any(String), '2m', 'rolled back']);
    expect(lines('rollback')).toContain('| 3 | `full` | – | – | – | – | – | – | 0s | not reached |');
    expect(m.stages[0]!.visits[0]!.leftBy).toBe('promote');
  });

  it('has a gates table: final state, worst value, time failing, number of changes', () => {
    const row = lines('rollback').find((x) => x.startsWith('| `p99-latency` |'))!;
    expect(cells(row)).toEqual(['`p99-latency`', '`canary-10`', 'PromQL', 'block', '**failing** 270ms', '270ms (+55s; reached failing)', '47s', '3', 'fails if > 250ms; warns if > 200ms']);
    const plan = lines('rollback').find((x) => x.startsWith('| `budget-burn-alert` |'))!;
    expect(cells(plan).slice(1, 4)).toEqual(['plan-wide', 'Prometheus alert', 'alert']);
  });

  it('lists every state change of every gate under its own heading, in order', () => {
    const m = models.get('rollback')!;
    const text = md.get('rollback')!;
    for (const g of m.gates) {
      const start = text.indexOf(`### \`${g.id}\``);
      expect(start, g.id).toBeGreaterThan(0);
      const section = text.slice(start, text.indexOf('\n### ', start + 1));
      const bullets = section.split('\n').filter((x) => x.startsWith('- +'));
      expect(bullets.map((b) => b.match(/— (\S+(?: data)?) → \*\*([^*]+)\*\*/)?.slice(1, 3).join('->'))).toEqual(g.timeline.map((c) => `${c.from}->${c.to}`));
    }
    expect(text).toContain('- +55s (12:00:55) — warn → **failing** · 270ms — 270ms > 250ms');
  });

  it('has an actions table, the override fields and each action\'s steps with exit codes and durations', () => {
    const l = lines('rollback');
    const promote = l.find((x) => x.startsWith('| +1m30s (12:01:30) | promote of canary-10 |'))!;
    expect(cells(promote).slice(2)).toEqual(['alice', 'p99 is a known cold-cache blip &lt;script>alert(1)&lt;/script> & "ok" per INC-42', 'yes', '**ok**', '12s']);
    expect(l).toContain('| `manual_override` | true |');
    expect(l).toContain('| `override_acknowledged` | true |');
    expect(l).toContain('| `previous-tag` | ok | 0 | 1m5s |');
    expect(l).toContain('| `verify` | ok | 0 | 250ms |');
    const failed = lines('failed-rollback');
    expect(failed).toContain('| `previous-tag` | failed | 3 | 9s |');
    expect(failed).toContain('| `verify` | skipped | – | – |');
    expect(md.get('failed-rollback')!).toContain('Output of `previous-tag`:\n\n```text\n$ ./scripts/rollback.sh --tag previous\nerror: tag "previous" not found in registry\nstep failed: exit 3 (9s)\n```');
  });

  it('has alerts, node outages and notification counts', () => {
    const l = lines('rollback');
    expect(l.find((x) => x.startsWith('| HighErrorBudgetBurn |'))).toMatch(/^\| HighErrorBudgetBurn \| prometheus \| critical \| \+1m25s \(12:01:25\) \| \+2m22s \(12:02:22\) \| 57s \| error budget burning 14x \|$/);
    expect(l.find((x) => x.startsWith('- `web-2`: down'))).toBe('- `web-2`: down 1× for 25s in all');
    expect(l).toContain('4 delivered, 1 retried, 1 failed, 1 to the fallback file');
    expect(l).toContain('| `teams` | 1 | 1 | 1 | 0 |');
    expect(l.some((x) => /^- \+5m\d+s \(12:05:\d\d\) — `teams` failed after attempt 5: HTTP 500 from webhook$/.test(x))).toBe(true);
  });

  it('never lets recorded text become HTML or Markdown, and keeps secrets out', () => {
    const text = md.get('rollback')!;
    expect(text).not.toMatch(/<script/i);
    expect(text).toContain('&lt;script>alert(1)&lt;/script>');
    expect(text).not.toContain(SECRET);
    expect(mdText('a|b *c* _d_ [e](f) <img src=x> &amp; `g`\nnext')).toBe('a\\|b \\*c\\* \\_d\\_ \\[e\\](f) &lt;img src=x> &amp;amp; \\`g\\` next');
    expect(mdCode('a | b')).toBe('`a \\| b`');
    expect(mdCode('has `tick`')).toBe('`` has `tick` ``');
    expect(mdFence('x\n```\ny')).toBe('````\nx\n```\ny\n````');
  });
});
