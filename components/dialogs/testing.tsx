/** Test fixtures for the dialogs: previews like the session's, and CockpitActions that record what they were asked. */
import React from 'react';
import type { EngineCommand, EngineState } from '../../src/engine/types.js';
import type { ActionOutcomeView, CockpitActions, PromotePreview, RollbackPreview, RunningAction, SignoffOutcome } from '../../src/ui-contract.js';
import { CockpitApp, type CockpitAppProps } from '../CockpitApp.js';
import { KEYS, renderSized, stripAnsi, waitForFrame } from '../testing/render.js';
import { T0, makeState } from '../../test/helpers/state-fixture.js';

export const promotable = (over: Partial<PromotePreview> = {}): PromotePreview => ({
  from: 'canary-10',
  to: 'canary-50',
  promotable: true,
  blockers: [],
  cautions: ['error-budget-burn'],
  bakeRemainingMs: 0,
  commands: ['deploy: ./scripts/deploy_dhash.sh --env production --stage canary-50'],
  minReasonLength: 20,
  dryRun: false,
  ...over,
});

export const blocked = (over: Partial<PromotePreview> = {}): PromotePreview =>
  promotable({
    promotable: false,
    cautions: [],
    blockers: [
      { gateId: 'extraction-failure-rate', state: 'failing', display: '0.071', threshold: '> 0.05', why: '0.071 > 0.05 for 10m of 10m' },
      { gateId: 'pool-saturation', state: 'pending', display: '0.93', threshold: '>= 0.90', why: '0.93 >= 0.90 for 2 of 3 probes' },
    ],
    bakeRemainingMs: 4 * 60_000 + 12_000,
    ...over,
  });

export const rollbackPreview = (over: Partial<RollbackPreview> = {}): RollbackPreview => ({
  stage: 'canary-10',
  service: 'dhash',
  confirmWords: ['dhash', 'canary-10'],
  commands: ['mode-warn: ./scripts/set_mode.sh warn', 'previous-tag: ./scripts/deploy_dhash.sh --tag v1.2.2', 'restore-snapshot: ./scripts/restore_snapshot.sh (optional)'],
  optionalSteps: ['restore-snapshot'],
  dryRun: false,
  rolledBack: false,
  ...over,
});

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export interface FakeActions extends CockpitActions {
  calls: {
    promote: Array<Parameters<CockpitActions['promote']>[0]>;
    rollback: Array<Parameters<CockpitActions['rollback']>[0]>;
    signoff: Array<[string, string] | [string, string, string]>;
  };
  /** What running() returns. */
  runningNow: RunningAction | null;
}

export function fakeActions(o: {
  promote?: PromotePreview | string;
  rollback?: RollbackPreview | string;
  outcome?: ActionOutcomeView | (() => Promise<ActionOutcomeView>);
  signoff?: (gateId: string, note: string) => SignoffOutcome | Promise<SignoffOutcome>;
  running?: RunningAction | null;
} = {}): FakeActions {
  const outcome = async (): Promise<ActionOutcomeView> => (typeof o.outcome === 'function' ? o.outcome() : (o.outcome ?? { ok: true, summary: 'finished in 12s' }));
  const a: FakeActions = {
    calls: { promote: [], rollback: [], signoff: [] },
    runningNow: o.running ?? null,
    previewPromote: () => o.promote ?? promotable(),
    previewRollback: () => o.rollback ?? rollbackPreview(),
    promote: (req) => {
      a.calls.promote.push(req);
      return outcome();
    },
    rollback: (req) => {
      a.calls.rollback.push(req);
      return outcome();
    },
    signoff: (gateId, note, stageId) => {
      a.calls.signoff.push(stageId === undefined ? [gateId, note] : [gateId, note, stageId]);
      return o.signoff ? o.signoff(gateId, note) : { ok: true };
    },
    running: () => a.runningNow,
  };
  return a;
}

export const ALICE: RunningAction = { kind: 'rollback', operator: 'alice', startedAt: T0 - 42_000, lastLine: 'draining web-4' };

/** The cockpit at a size with fake actions; records quits and engine commands. */
export function cockpit(actions: CockpitActions | undefined, props: Partial<CockpitAppProps> = {}, size = { columns: 80, rows: 24 }, state: EngineState = makeState()) {
  const commands: EngineCommand[] = [];
  let quits = 0;
  const element = (extra: Partial<CockpitAppProps> = {}) => (
    <CockpitApp state={state} utc env={{}} actions={actions} onCommand={(c) => commands.push(c)} onQuit={() => quits++} {...props} {...extra} />
  );
  const r = renderSized(element(), size);
  // A lone Esc reaches the app a check phase later (Ink waits to see whether a sequence follows), and its render later still.
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      await r.press(k);
      if (k === KEYS.escape) await waitForFrame();
    }
  };
  return {
    r,
    commands,
    quits: () => quits,
    frame: () => stripAnsi(r.lastFrame()),
    raw: () => r.lastFrame(),
    press,
    /** Types text one key at a time. */
    type: async (text: string) => press(...[...text]),
    rerender: (extra: Partial<CockpitAppProps>) => r.rerender(element(extra)),
    ready: waitForFrame,
  };
}
