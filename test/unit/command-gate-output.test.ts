/**
 * What a command gate says about its command: the line of its output that
 * tells why it failed (not a stack frame or a tool's footer), with no secret
 * and no terminal escape in it. Real processes; the built CLI for the end to end.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tellingLine } from '../../checks/command.js';
import { runGateCommand } from '../../src/sources/command.js';
import { flightdeck } from '../helpers/cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-cmd-gate-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = (argv: string[], secrets?: string[]) => runGateCommand(argv, { cwd: dir, timeoutMs: 20_000, env: { PATH: process.env.PATH ?? '' }, secrets });

describe('the line a command gate shows', () => {
  it('a Node script that throws: its error, not the stack or "Node.js v…"', async () => {
    const out = await run([process.execPath, '-e', "function call() { throw new Error('FLIGHTDECK_DEMO_CONTROL is not set') } call()"]);
    expect(out.exitCode).toBe(1);
    expect(out.tail.split('\n').at(-1)).toMatch(/^Node\.js v\d+/);
    expect(tellingLine(out.tail)).toBe('Error: FLIGHTDECK_DEMO_CONTROL is not set');
  });

  it("Maven's failure (as mvn 3.8.7 prints it, colours removed): the failed goal, not the help footer", () => {
    const mvn = [
      '[ERROR] Failed to execute goal org.apache.maven.plugins:maven-surefire-plugin:3.5.2:test (default-test) on project x: There are test failures. -> [Help 1]',
      '[ERROR] ',
      '[ERROR] To see the full stack trace of the errors, re-run Maven with the -e switch.',
      '[ERROR] Re-run Maven using the -X switch to enable full debug logging.',
      '[ERROR] ',
      '[ERROR] For more information about the errors and possible solutions, please read the following articles:',
      '[ERROR] [Help 1] http://cwiki.apache.org/confluence/display/MAVEN/MojoFailureException',
      '',
    ].join('\n');
    expect(tellingLine(mvn)).toMatch(/^\[ERROR\] Failed to execute goal .*There are test failures/);
  });

  it("other tools' last lines are kept as they are (pytest's summary, Python's exception, a shell script's echo)", () => {
    expect(tellingLine('..F\n=========== 1 failed, 2 passed in 0.85s ===========\n')).toBe('=========== 1 failed, 2 passed in 0.85s ===========');
    expect(tellingLine('Traceback (most recent call last):\n  File "<string>", line 1, in <module>\nValueError: bad row 12')).toBe('ValueError: bad row 12');
    expect(tellingLine('checking dist\nmissing: static/dist/app.js')).toBe('missing: static/dist/app.js');
    expect(tellingLine('')).toBe('');
    // Only trailers: the last of them rather than nothing.
    expect(tellingLine('    at x (y.js:1:1)\n\nNode.js v24.11.0')).toBe('Node.js v24.11.0');
  });

  it('keeps no secret, no URL credential and no escape sequence of what the command printed', async () => {
    const script = [
      'printf "\\033[1;31mERROR\\033[m curl: (22) 401 for Authorization: Bearer $TOKEN\\n"',
      'printf "\\033]0;pwned\\007fetching https://deploy:hunter22@ci.example/x\\n" >&2',
      'exit 3',
    ].join('; ');
    const out = await runGateCommand(['sh', '-c', script], { cwd: dir, timeoutMs: 20_000, env: { PATH: process.env.PATH ?? '', TOKEN: 'tok-5ecret-77' }, secrets: ['tok-5ecret-77'] });
    expect(out.exitCode).toBe(3);
    expect(out.tail).not.toContain('tok-5ecret-77');
    expect(out.tail).not.toContain('hunter22');
    // eslint-disable-next-line no-control-regex
    expect(out.tail).not.toMatch(/[\u001b\u0007]/);
    expect(out.tail).toContain('ERROR curl: (22) 401 for Authorization: Bearer [REDACTED]');
    expect(out.tail).toContain('fetching https://[REDACTED]@ci.example/x');
  });
});

describe('flightdeck check: a command gate that prints the plan’s token', () => {
  it('shows the failure with the token masked, in the table and in --json', async () => {
    const plan = join(dir, 'plan.yaml');
    await writeFile(
      plan,
      [
        'service: leaky',
        'prometheus: { url: "http://127.0.0.1:1", tokenEnv: PROM_TOKEN }',
        'stages:',
        '  - id: build',
        '    gates:',
        '      - id: probe',
        `        command: { run: [sh, -c, 'printf "\\033[31mcurl: 401 for Bearer %s\\033[0m\\n" "$PROM_TOKEN" >&2; exit 1'], timeout: 1m }`,
        '    rollback: { run: ["true"] }',
        '',
      ].join('\n'),
    );
    const env = { PROM_TOKEN: 'tok-5ecret-77' };
    const table = await flightdeck(['check', plan], { env, cwd: dir });
    // 2: the plan's Prometheus (there for its token) is unreachable on purpose; the command gate is evaluated all the same.
    expect(table.code).toBe(2);
    expect(table.stdout).toContain('curl: 401 for Bearer [REDACTED]');
    const json = await flightdeck(['check', plan, '--json'], { env, cwd: dir });
    const probe = (JSON.parse(json.stdout) as { gates: Array<{ id: string; state: string; why: string }> }).gates.find((g) => g.id === 'probe')!;
    expect(probe.state).toBe('failing');
    expect(probe.why).toMatch(/^1 != 0 \(exit 1 in \d+ms: curl: 401 for Bearer \[REDACTED\]\)$/);
    for (const out of [table.stdout, table.stderr, json.stdout, json.stderr]) {
      expect(out).not.toContain('tok-5ecret-77');
      // eslint-disable-next-line no-control-regex
      expect(out).not.toMatch(/\u001b\[3[01]m/);
    }
  });
});
