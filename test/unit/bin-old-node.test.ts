/**
 * bin/flightdeck started by a Node older than 22.19 (the system Node of our build machines is 20):
 * one clear message — what it needs, what it found, a command line that can be pasted as it is —
 * and exit 1, never a stack trace.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const SYSTEM_NODE = '/usr/bin/node';
const systemMajor = existsSync(SYSTEM_NODE) ? Number(execFileSync(SYSTEM_NODE, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).trim()) : 0;

it.skipIf(!(systemMajor > 0 && systemMajor < 22))(`an old Node (${SYSTEM_NODE} v${systemMajor}) is told what to run instead, with the arguments quoted`, () => {
  const r = spawnSync(SYSTEM_NODE, [`${ROOT}bin/flightdeck`, 'rollback', 'plan.yaml', '--yes', '--reason', "it's down now"], { encoding: 'utf8' });
  expect(r.status).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^flightdeck needs Node\.js 22\.19 or newer; this is Node\.js \d+\.\d+\.\d+ \(\/usr\/bin\/node\)\.\n/);
  expect(r.stderr).not.toMatch(/\n\s+at |SyntaxError|TypeError/);
  const pasted = /Node installed beside it: {2}(.+)\n/.exec(r.stderr)![1]!;
  expect(pasted).toBe(`${ROOT}node_modules/.bin/node ${ROOT}bin/flightdeck rollback plan.yaml --yes --reason 'it'\\''s down now'`);
  // The line really runs: the shell gives the program the same arguments back (--version ignores the rest).
  const again = spawnSync('bash', ['-c', pasted.replace(' rollback ', ' --version rollback ')], { encoding: 'utf8' });
  expect(again.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
});
