/** `watch --metrics-port`: Flightdeck's own Prometheus metrics, from the running binary. */
import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { stringify } from 'yaml';
import { BIN } from '../helpers/cli.js';
import { waitFor } from '../helpers/prometheus.js';

it('serves gate values and states, polls and the stage on 127.0.0.1', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fd-metrics-'));
  await writeFile(
    join(dir, 'plan.yaml'),
    stringify({
      service: 'dhash',
      polling: { phases: [{ every: '1s' }], hot: '1s' },
      stages: [{ id: 'canary', gates: [{ id: 'smoke', command: { run: ['bash', '-c', 'exit 3'] } }, { id: 'report', evidence: { file: 'r.json', field: 'failed' }, fail: '> 0' }] }],
    }),
  );
  const child = execa(BIN, ['watch', 'plan.yaml', '--json', '--no-guard', '--metrics-port', '0'], { cwd: dir, reject: false, stdin: 'ignore' });
  try {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    const url = await waitFor(() => /"type":"metrics".*"url":"([^"]+)"/.exec(out)?.[1], { timeoutMs: 10_000, what: 'the metrics URL' });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const text = await waitFor(async () => {
      const t = await (await fetch(url)).text();
      return /flightdeck_polls_total\{[^}]*ok="true"[^}]*\} [1-9]/.test(t) ? t : undefined;
    }, { timeoutMs: 10_000, what: 'a poll in the metrics' });
    expect(text).toMatch(/flightdeck_gate_value\{gate="smoke",stage="canary"[^}]*\} 3/);
    expect(text).toMatch(/flightdeck_gate_state\{gate="smoke",stage="canary",state="failing"[^}]*\} 1/);
    expect(text).toMatch(/flightdeck_gate_state\{gate="report",stage="canary",state="no data"[^}]*\} 1/);
    expect(text).toMatch(/flightdeck_poll_duration_seconds_count/);
    expect(text).toMatch(/flightdeck_stage_index\{[^}]*\} 0/);
  } finally {
    child.kill('SIGTERM');
    await child;
    await rm(dir, { recursive: true, force: true });
  }
});
