/** Every dialog within the row budget (80x24, 60x16, wide; with an action in the header), and in NO_COLOR and ASCII modes. */
import chalk from 'chalk';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ActionOutcomeView, CockpitExtras } from '../../src/ui-contract.js';
import { KEYS, stripAnsi, waitForFrame } from '../testing/render.js';
import { ALICE, blocked, cockpit, deferred, fakeActions, rollbackPreview, type FakeActions } from './testing.js';
import { T0 } from '../../test/helpers/state-fixture.js';

let open: Array<ReturnType<typeof cockpit>> = [];
afterEach(() => {
  for (const t of open) t.r.unmount();
  open = [];
});

// Ink colours through chalk, which is off when stdout is not a terminal (as under vitest).
beforeAll(() => {
  chalk.level = 1;
});

// eslint-disable-next-line no-control-regex
const COLOUR_SGR = /\u001b\[(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m/;
const LONG = ' --env production --region eu-west-1 --canary-weight 50 --wait-for-healthy --timeout 600 --notify #deploys';

const manyBlockers = blocked({
  blockers: ['extraction-failure-rate', 'p99-latency', 'health', 'pool-saturation', 'restart-churn', 'policy-blocked'].map((id, i) => ({
    gateId: id,
    state: i % 2 ? 'pending' : 'failing',
    display: `0.0${i + 1}`,
    threshold: '> 0.05',
    why: `${id} breached for 10m of 10m on web-${i + 1}, web-${i + 2} and web-${i + 3}; the last good sample was 14m ago`,
  })),
  commands: ['deploy: ./scripts/deploy_dhash.sh' + LONG, 'smoke: ./scripts/smoke.sh --all', 'notify: POST http://127.0.0.1:9/hooks/deploy'],
  cautions: ['error-budget-burn', 'cardinality'],
  dryRun: true,
});
const bigRollback = rollbackPreview({
  commands: ['mode-warn: ./scripts/set_mode.sh warn' + LONG, 'mode-off: ./scripts/set_mode.sh off', 'tag: ./scripts/deploy.sh --tag v1.2.2', 'restore: ./scripts/restore.sh (optional)', 'purge: ./scripts/purge.sh (optional)'],
  optionalSteps: ['restore', 'purge'],
  dryRun: true,
});
const LONG_REFUSAL = 'rollback by alice@bastion.prod.example running for 42 s (started from another cockpit on this machine; wait for it or ask alice)';

interface Case {
  name: string;
  /** What is on screen once it is open. */
  expect: string;
  actions(): FakeActions;
  keys: string[];
  extras?: CockpitExtras;
}

const CASES: Case[] = [
  { name: 'promote', expect: '[ Promote ]', actions: () => fakeActions({ promote: { ...manyBlockers, promotable: true, blockers: [] } }), keys: ['p'] },
  { name: 'override', expect: '[ Override and promote ]', actions: () => fakeActions({ promote: manyBlockers }), keys: ['p', ...'a reason typed'] },
  { name: 'rollback', expect: '[ Roll back ]', actions: () => fakeActions({ rollback: bigRollback }), keys: ['b', ...'dhash', KEYS.tab, KEYS.tab, ' '] },
  { name: 'sign-off', expect: '[ Sign off ]', actions: () => fakeActions(), keys: ['G', 's', ...'checked'] },
  { name: 'quit', expect: '[ Quit ]', actions: () => fakeActions({ running: ALICE }), keys: ['q'], extras: { action: ALICE } },
  { name: 'notice', expect: '[ OK ]', actions: () => fakeActions({ promote: `stage canary-10 has no promote action in the plan; ${LONG_REFUSAL}` }), keys: ['p'] },
  {
    name: 'running',
    expect: 'running for',
    actions: () => fakeActions({ rollback: bigRollback, outcome: () => deferred<ActionOutcomeView>().promise }),
    keys: ['b', ...'dhash', KEYS.shiftTab, KEYS.enter],
    extras: { action: { ...ALICE, lastLine: 'restore: copying snapshot 3 of 7 from s3://backups/dhash/2026-01-01 (1.2 GiB)' } },
  },
  { name: 'outcome', expect: '[ Close ]', actions: () => fakeActions({ rollback: bigRollback, outcome: { ok: false, refused: LONG_REFUSAL } }), keys: ['b', ...'dhash', KEYS.shiftTab, KEYS.enter] },
];

async function show(c: Case, size: { columns: number; rows: number }, props: Parameters<typeof cockpit>[1] = {}) {
  const t = cockpit(c.actions(), { now: T0, extras: c.extras, ...props }, size);
  open.push(t);
  await t.ready();
  await t.press(...c.keys);
  await waitForFrame();
  return t;
}

function expectFits(frame: string, columns: number, rows: number) {
  const lines = stripAnsi(frame).split('\n');
  expect(lines.length).toBeLessThanOrEqual(rows - 1);
  for (const l of lines) expect([...l].length, `line wider than ${columns - 1}: "${l}"`).toBeLessThanOrEqual(columns - 1);
}

describe('every dialog fits the terminal', () => {
  for (const size of [
    { columns: 80, rows: 24 },
    { columns: 60, rows: 16 },
    { columns: 160, rows: 50 },
  ]) {
    for (const c of CASES) {
      it(`${c.name} at ${size.columns}x${size.rows}: no taller or wider than the terminal; buttons and focus on screen`, async () => {
        const t = await show(c, size);
        expectFits(t.raw(), size.columns, size.rows);
        const text = t.frame();
        expect(text).toContain(c.expect);
        if (c.name !== 'running') expect(text).toContain('▶');
      });
    }
  }

  it('a long list is cut with "+N more" and the inputs stay (override at 80x24)', async () => {
    const t = await show(CASES[1]!, { columns: 80, rows: 24 });
    const text = t.frame();
    expect(text).toMatch(/\+\d+ more/);
    expect(text).toMatch(/▶ reason \[a reason typed_/);
    expect(text).toContain('type canary-10 to acknowledge');
    expect(text).toContain('DRY RUN');
  });
});

describe('themes', () => {
  for (const c of CASES) {
    it(`${c.name}: colours by default; none under NO_COLOR; ASCII only with --ascii`, async () => {
      const size = { columns: 80, rows: 24 };
      const coloured = await show(c, size);
      expect(coloured.raw()).toMatch(COLOUR_SGR);
      const plain = await show(c, size, { env: { NO_COLOR: '1' } });
      expect(plain.raw()).not.toMatch(COLOUR_SGR);
      expect(plain.frame()).toContain(c.expect);
      const ascii = await show(c, size, { ascii: true, noColor: true });
      expect(ascii.raw()).not.toMatch(COLOUR_SGR);
      const text = ascii.frame();
      expect(text).toContain(c.expect);
      expect(text).not.toMatch(/[\u2500-\u259f\u2800-\u28ff]/);
      expect(text).toMatch(/^[\x20-\x7e\n]*$/);
      expectFits(ascii.raw(), size.columns, size.rows);
    });
  }
});
