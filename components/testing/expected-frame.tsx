/** The frame the cockpit means to draw for a state at a size, as the screen's rows (for comparing with a Screen). */
import React from 'react';
import type { EngineState } from '../../src/engine/types.js';
import type { CockpitExtras } from '../../src/ui-contract.js';
import { CockpitApp } from '../CockpitApp.js';
import { renderSized, stripAnsi, waitForFrame } from './render.js';

export async function expectedScreen(state: EngineState, size: { columns: number; rows: number }, opts: { extras?: CockpitExtras; ascii?: boolean } = {}): Promise<string[]> {
  const r = renderSized(<CockpitApp state={state} extras={opts.extras} ascii={opts.ascii} />, size);
  try {
    await waitForFrame();
    const lines = stripAnsi(r.lastFrame()).split('\n').map((l) => l.trimEnd());
    while (lines.length < size.rows) lines.push('');
    return lines;
  } finally {
    r.unmount();
  }
}
