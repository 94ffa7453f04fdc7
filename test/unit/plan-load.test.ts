import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatProblem, hasDuplicateKey, loadPlan, parsePlanText, planPath, PlanError, withOverrides, type PlanProblem } from '../../src/plan/load.js';

const BAD = 'fixtures/bad-plans';
const THRESHOLD = 'a comparison such as "> 0.05", ">= 0.90", "== true" or "> +10%" (relative to the baseline)';

async function problemsOfFile(file: string): Promise<string[]> {
  try {
    await loadPlan(file);
  } catch (err) {
    if (err instanceof PlanError) return err.problems.map(formatProblem);
    throw err;
  }
  throw new Error(`${file} loaded without problems`);
}

function problemsOf(text: string, file = 'plan.yaml'): PlanProblem[] {
  try {
    parsePlanText(text, file, '/tmp');
  } catch (err) {
    if (err instanceof PlanError) return err.problems;
    throw err;
  }
  throw new Error('plan loaded without problems');
}

const lines = (text: string) => problemsOf(text).map(formatProblem);
/** A plan with Prometheus and one stage `a` whose gates are these lines (from line 6 of the file): its problems. */
const gateLines = (gates: string) => lines(`service: s\nprometheus: { url: "http://127.0.0.1:9090" }\nstages:\n  - id: a\n    gates:\n${gates}`);

describe('bad plan corpus (fixtures/bad-plans): exact file:line:col path: message', () => {
  it('bad threshold', async () => {
    expect(await problemsOfFile(`${BAD}/bad-threshold.yaml`)).toEqual([
      `${BAD}/bad-threshold.yaml:8:15 stages[0].gates[0].fail: expected ${THRESHOLD}, got "more than 0.05"`,
    ]);
  });

  it('bad durations, as text and as a bare number', async () => {
    expect(await problemsOfFile(`${BAD}/bad-duration.yaml`)).toEqual([
      `${BAD}/bad-duration.yaml:5:11 stages[0].bake: expected a duration such as "30s", "5m" or "1h", got "15 minutes"`,
      `${BAD}/bad-duration.yaml:10:14 stages[0].gates[0].for: expected a duration such as "30s", "5m" or "1h", got 5`,
    ]);
  });

  it('unknown keys point at the key, with a suggestion or the accepted keys', async () => {
    expect(await problemsOfFile(`${BAD}/unknown-key.yaml`)).toEqual([
      `${BAD}/unknown-key.yaml:6:9 stages[0].gates[0]: expected one check: query, health, healthField, alert, command, evidence, cardinality, manual, compare, score`,
      `${BAD}/unknown-key.yaml:7:9 stages[0].gates[0].quer: unknown key "quer" (did you mean "query"?)`,
      `${BAD}/unknown-key.yaml:9:1 rollbacks: unknown key "rollbacks"; expected one of: service, environment, description, mode, prometheus, nodes, probe, polling, gates, stages, env, notify, audit, store, logs, override, operators`,
    ]);
  });

  it('a missing key points at the mapping that should hold it', async () => {
    expect(await problemsOfFile(`${BAD}/missing-service.yaml`)).toEqual([
      `${BAD}/missing-service.yaml:2:1 service: missing; expected a string naming the service, such as service: dhash`,
    ]);
  });

  it('duplicate gate ids across stage and plan-wide gates, reported at each occurrence', async () => {
    expect(await problemsOfFile(`${BAD}/duplicate-gate-id.yaml`)).toEqual([
      `${BAD}/duplicate-gate-id.yaml:4:11 gates[0].id: duplicate gate id "error-rate" (also stages[0].gates[1].id); gate ids must differ within a stage and from the plan-wide gates`,
      `${BAD}/duplicate-gate-id.yaml:9:15 stages[0].gates[1].id: duplicate gate id "error-rate" (also gates[0].id); gate ids must differ within a stage and from the plan-wide gates`,
    ]);
  });

  it('two check kinds in one gate', async () => {
    expect(await problemsOfFile(`${BAD}/two-kinds.yaml`)).toEqual([
      `${BAD}/two-kinds.yaml:8:9 stages[0].gates[0]: expected exactly one check, got query and health`,
    ]);
  });

  it('literal secrets are refused and never echoed', async () => {
    const problems = await problemsOfFile(`${BAD}/literal-token.yaml`);
    expect(problems).toEqual([
      `${BAD}/literal-token.yaml:4:3 prometheus.token: a literal secret is not allowed in a plan; use tokenEnv or tokenFile`,
      `${BAD}/literal-token.yaml:11:31 stages[0].promote.http.headers.X-Internal-API-Key: header X-Internal-API-Key carries a credential: give it as { env: NAME } or { file: PATH }, never as a literal string`,
      `${BAD}/literal-token.yaml:14:10 notify[0].url: a webhook URL is a secret and is not allowed inline in a plan; use urlEnv or urlFile`,
    ]);
    const all = problems.join('\n');
    for (const secret of ['s3cr3t-PROM-TOKEN-value', 'hunter2-api-key-value', 'XXXXsecretXXXX', 'hooks.slack.com']) expect(all).not.toContain(secret);
  });

  it('a YAML syntax error has a line and column, and a hint for unquoted thresholds', async () => {
    expect(await problemsOfFile(`${BAD}/yaml-syntax.yaml`)).toEqual([
      `${BAD}/yaml-syntax.yaml:7:17 invalid YAML: Not a YAML token: 0.05 (a threshold that starts with > must be quoted, such as fail: "> 0.05")`,
    ]);
  });

  it('a JSON plan maps errors to its lines and columns too', async () => {
    expect(await problemsOfFile(`${BAD}/json-error.json`)).toEqual([
      `${BAD}/json-error.json:8:105 stages[0].gates[0].onFail: expected one of "alert", "block", "rollback", got "explode"`,
    ]);
  });

  it('a rollback gate needs a rollback action in its stage', async () => {
    expect(await problemsOfFile(`${BAD}/rollback-without-action.yaml`)).toEqual([
      `${BAD}/rollback-without-action.yaml:10:17 stages[0].gates[0].onFail: "rollback" needs a rollback action in its stage "canary"`,
    ]);
  });

  it('only the last polling phase may omit for', async () => {
    expect(await problemsOfFile(`${BAD}/phases-missing-for.yaml`)).toEqual([
      `${BAD}/phases-missing-for.yaml:6:7 polling.phases[1]: only the last phase may omit for: say how long this phase lasts, such as for: 5m`,
    ]);
  });

  it('reports every problem at once, in file order', async () => {
    expect(await problemsOfFile(`${BAD}/many-problems.yaml`)).toEqual([
      `${BAD}/many-problems.yaml:2:20 prometheus.url: expected an absolute URL such as http://127.0.0.1:9090; this one has no scheme: write http://127.0.0.1:9090`,
      `${BAD}/many-problems.yaml:4:59 nodes[0].health: expected a string starting with "/"`,
      `${BAD}/many-problems.yaml:7:11 stages[0].bake: expected a duration such as "30s", "5m" or "1h", got "soon"`,
      `${BAD}/many-problems.yaml:11:15 stages[0].gates[0].fail: expected ${THRESHOLD}, got ">> 0.05"`,
      `${BAD}/many-problems.yaml:12:17 stages[0].gates[0].onFail: expected one of "alert", "block", "rollback", got "explode"`,
      `${BAD}/many-problems.yaml:13:9 stages[0].gates[1].fail: missing; expected ${THRESHOLD}`,
      `${BAD}/many-problems.yaml:15:5 stages[1].id: missing; expected a string`,
      `${BAD}/many-problems.yaml:17:13 notify[0].kind: expected one of "slack", "teams", "discord", "webhook", "email", "file", got "pager"`,
    ]);
  });

  it('the PlanError message is every problem, one a line', async () => {
    const err = await loadPlan(`${BAD}/duplicate-gate-id.yaml`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlanError);
    expect((err as PlanError).message.split('\n')).toHaveLength(2);
  });
});

describe('validate everything before the window opens (issue 11)', () => {
  it('PromQL errors point into the query, in every YAML style: plain, block literal, folded, double-quoted, multi-line plain', async () => {
    expect(await problemsOfFile(`${BAD}/promql-syntax.yaml`)).toEqual([
      `${BAD}/promql-syntax.yaml:10:40 stages[0].gates[1].query: PromQL syntax error: the query ends after "/", which needs something after it; and the "(" at column 4 is never closed`,
      `${BAD}/promql-syntax.yaml:15:52 stages[0].gates[2].query: PromQL syntax error: unexpected "api" in a label matcher; a label value is a quoted string, such as job="api"`,
      `${BAD}/promql-syntax.yaml:21:15 stages[0].gates[3].query: PromQL syntax error: unknown function "bogus_fn"`,
      `${BAD}/promql-syntax.yaml:24:47 stages[0].gates[4].query: rate() needs a range vector such as rate(x[5m]), got an instant vector`,
      `${BAD}/promql-syntax.yaml:28:16 stages[0].gates[5].query: PromQL syntax error: this "(" is never closed (expected ")")`,
    ]);
  });

  it("the issue's example: sum(rate(foo_total[5m]) / is refused at the dangling operator", () => {
    expect(
      gateLines(`      - { id: x, query: up, fail: "< 1" }
      - { id: y, query: up, fail: "< 1" }
      - { id: z, query: "sum(rate(foo_total[5m]) /", fail: "> 1" }
`),
    ).toEqual([
      'plan.yaml:8:50 stages[0].gates[2].query: PromQL syntax error: the query ends after "/", which needs something after it; and the "(" at column 4 is never closed',
    ]);
  });

  it('baseline queries are parsed too; an unterminated PromQL string is reported where it opens', () => {
    expect(
      gateLines(`      - id: lat
        query: 'max(lat{job="a"})'
        fail: "> +10%"
        baseline: { query: 'max(lat{job="stable})' }
`),
    ).toEqual(['plan.yaml:9:41 stages[0].gates[0].baseline.query: unterminated string: the " opened here is never closed']);
  });

  it('a URL without a scheme is refused with the URL it was meant to be; other schemes are refused', async () => {
    expect(await problemsOfFile(`${BAD}/url-without-scheme.yaml`)).toEqual([
      `${BAD}/url-without-scheme.yaml:2:20 prometheus.url: expected an absolute URL such as http://127.0.0.1:9090; this one has no scheme: write http://localhost:9090`,
      `${BAD}/url-without-scheme.yaml:4:25 nodes[0].url: expected an absolute URL such as http://web-1:8080; this one has no scheme: write http://127.0.0.1:18081`,
      `${BAD}/url-without-scheme.yaml:5:25 nodes[1].url: expected an absolute URL such as http://web-1:8080; the scheme must be http:// or https://, not ftp://`,
      `${BAD}/url-without-scheme.yaml:8:29 stages[0].promote.http.url: expected an absolute URL such as http://127.0.0.1:8080/api/deploy; this one has no scheme: write http://deploy.internal/api/promote`,
    ]);
  });

  it('an unterminated YAML quote is reported where it opens, not at the end of the file', async () => {
    expect(await problemsOfFile(`${BAD}/unclosed-quote.yaml`)).toEqual([
      `${BAD}/unclosed-quote.yaml:7:16 invalid YAML: this "quoted string is never closed (missing its closing ")`,
    ]);
    expect(lines("service: 'it''s\nstages: [ { id: a } ]\n")).toEqual(["plan.yaml:1:10 invalid YAML: this 'quoted string is never closed (missing its closing ')"]);
  });

  it('cross-field problems come in the same pass as schema problems', async () => {
    expect(await problemsOfFile(`${BAD}/one-pass.yaml`)).toEqual([
      `${BAD}/one-pass.yaml:5:11 stages[0].bake: expected a duration such as "30s", "5m" or "1h", got "soon"`,
      `${BAD}/one-pass.yaml:8:44 stages[0].gates[0].query: PromQL syntax error: the query ends after "/", which needs something after it`,
      `${BAD}/one-pass.yaml:10:17 stages[0].gates[0].onFail: "rollback" needs a rollback action in its stage "canary"`,
    ]);
  });

  it('cross-field rules skip parts of the wrong shape instead of crashing or echoing schema problems', () => {
    expect(
      lines(`service: s
gates: 3
stages:
  - 7
  - id: b
    gates: [ { id: g, query: up, fail: "< 1", onFail: rollback }, null ]
    rollback: { steps: [ { name: r, run: [./r.sh], precondition: { gate: 5 } } ] }
notify: [ { kind: slack, urlEnv: [x] } ]
polling: { phases: [ 1, { every: 5s } ] }
`),
    ).toEqual([
      'plan.yaml:2:8 gates: expected a list, got 3',
      'plan.yaml:4:5 stages[0]: expected a mapping, got 7',
      'plan.yaml:6:23 stages[1].gates[0].query: a query gate needs Prometheus: add prometheus: { url: ... } to the plan',
      'plan.yaml:6:67 stages[1].gates[1]: expected a mapping, got an empty value',
      'plan.yaml:7:74 stages[1].rollback.steps[0].precondition.gate: expected a string, got 5',
      'plan.yaml:8:34 notify[0].urlEnv: expected a string, got a list',
      'plan.yaml:9:22 polling.phases[0]: expected a mapping, got 1',
    ]);
  });

  it('cardinality metric and label names are checked', () => {
    expect(
      gateLines(`      - { id: c, cardinality: { metric: "http-requests", label: "le.x", allowed: [a] } }
`),
    ).toEqual([
      'plan.yaml:6:41 stages[0].gates[0].cardinality.metric: expected a metric name (letters, digits, "_" and ":"), got "http-requests"',
      'plan.yaml:6:65 stages[0].gates[0].cardinality.label: expected a label name (letters, digits and "_"), got "le.x"',
    ]);
  });
});

describe('schema problems (inline plans)', () => {
  it('union failures explain the accepted forms', () => {
    expect(
      lines(`service: s
stages:
  - id: a
    rollback: { run: [./r.sh], http: { url: "http://x:1/y" } }
    promote: { run: ./deploy.sh }
`),
    ).toEqual([
      'plan.yaml:4:15 stages[0].rollback: expected exactly one form of action: { run: [argv...] } (a command), { http: { url, ... } } (an HTTP call) or { steps: [ ... ] } (ordered steps)',
      'plan.yaml:5:21 stages[0].promote.run: expected a list, got a string',
    ]);
  });

  it('a threshold of the wrong type names the accepted forms', () => {
    expect(
      gateLines(`      - { id: g, query: up, fail: true }
      - { id: h, query: up, fail: ["> 1", "bogus"] }
`),
    ).toEqual([
      `plan.yaml:6:35 stages[0].gates[0].fail: expected ${THRESHOLD}, or a list of them, got true`,
      `plan.yaml:7:43 stages[0].gates[1].fail[1]: expected ${THRESHOLD}, got "bogus"`,
    ]);
  });

  it('a step resolves into its own problems; an empty value points at its key', () => {
    expect(
      lines(`service: s
stages:
  - id: a
    promote:
      steps:
        - name: one
          run: [./a.sh]
          timeout:
        - { name: two, http: { url: "http://x:1/y", headers: { X-Trace: { env: A, file: b } } } }
`),
    ).toEqual([
      'plan.yaml:8:11 stages[0].promote.steps[0].timeout: expected a duration such as "30s", "5m" or "1h", got an empty value',
      'plan.yaml:9:73 stages[0].promote.steps[1].http.headers.X-Trace: expected exactly one of env or file',
    ]);
  });

  it('wrong types say what was expected and what was given', () => {
    expect(
      lines(`service: s
probe: { concurrency: "64", breaker: { failures: 1.5 } }
stages: {}
`),
    ).toEqual([
      'plan.yaml:2:23 probe.concurrency: expected a number, got a string',
      'plan.yaml:2:50 probe.breaker.failures: expected an integer, got 1.5',
      'plan.yaml:3:9 stages: expected a list, got a mapping',
    ]);
  });

  it('an empty plan and a plan that is not a mapping', () => {
    expect(lines('# nothing\n')).toEqual(['plan.yaml:1:1 the plan is empty: expected a mapping with at least service and stages']);
    expect(lines('- a\n- b\n')).toEqual(['plan.yaml:1:1 expected a mapping, got a list']);
  });

  it('duplicate keys are YAML errors', () => {
    expect(lines('service: a\nservice: b\nstages: [{ id: x }]\n')).toEqual(['plan.yaml:2:1 invalid YAML: Map keys must be unique']);
  });
});

describe('literal secrets', () => {
  it('refuses secret-named keys anywhere, credentialed URLs, auth values and secret argv flags, without echoing them', () => {
    const problems = problemsOf(`service: s
prometheus: { url: "https://admin:pa55word-XYZ@prom.internal:9090", api_key: key-ABC-123 }
env: { DEPLOY_TOKEN: tok-QQQ-999, PROM_TOKEN_FILE: /run/secrets/prom }
stages:
  - id: a
    promote:
      http:
        url: "http://127.0.0.1:1/x"
        headers: { Authorization: "Bearer abcdef0123456789", X-Trace-Id: "1" }
        body: { password: "pw-LLL-000" }
    rollback: { run: [./r.sh, --token, tok-RRR-111, --api-key=key-SSS-222] }
notify:
  - { kind: discord, webhookUrl: "https://discord.com/api/webhooks/1/abc-DEF" }
`);
    expect(problems.map(formatProblem)).toEqual([
      'plan.yaml:2:20 prometheus.url: a URL with a user and password is not allowed in a plan; put the credentials in the environment or a file',
      'plan.yaml:2:69 prometheus.api_key: a literal secret is not allowed in a plan; put it in the environment or a file and reference it with { env: NAME } or { file: PATH }',
      'plan.yaml:3:8 env.DEPLOY_TOKEN: a literal secret is not allowed in a plan; use tokenEnv or tokenFile',
      'plan.yaml:9:35 stages[0].promote.http.headers.Authorization: header Authorization carries a credential: give it as { env: NAME } or { file: PATH }, never as a literal string',
      'plan.yaml:10:17 stages[0].promote.http.body.password: a literal secret is not allowed in a plan; use passwordEnv or passwordFile',
      'plan.yaml:11:40 stages[0].rollback.run[2]: a literal secret after --token is not allowed in a plan; pass it through the environment',
      'plan.yaml:11:53 stages[0].rollback.run[3]: a literal secret on a command line is not allowed in a plan; pass it through the environment',
      'plan.yaml:13:22 notify[0].webhookUrl: a literal secret is not allowed in a plan; use urlEnv or urlFile',
    ]);
    const all = problems.map(formatProblem).join('\n');
    for (const secret of ['pa55word-XYZ', 'key-ABC-123', 'tok-QQQ-999', 'abcdef0123456789', 'pw-LLL-000', 'tok-RRR-111', 'key-SSS-222', 'abc-DEF']) {
      expect(all).not.toContain(secret);
    }
  });

  it('accepts secret references', () => {
    const loaded = parsePlanText(
      `service: s
prometheus: { url: "http://127.0.0.1:9090", tokenEnv: PROM_TOKEN, headers: { X-Scope-OrgID: { env: ORG } } }
stages:
  - id: a
    promote: { http: { url: "http://127.0.0.1:1/x", headers: { X-Internal-API-Key: { env: API_KEY }, X-Trace-Id: "1" } } }
notify:
  - { kind: email, smtp: { host: 127.0.0.1, passwordEnv: SMTP_PASSWORD }, from: a@b.c, toEnv: EMAIL_TO }
`,
      'plan.yaml',
      '/tmp',
    );
    expect(loaded.plan.prometheus?.tokenEnv).toBe('PROM_TOKEN');
  });
});

describe('cross-field checks', () => {
  it('query/alert/cardinality gates need prometheus; health gates need nodes', () => {
    expect(
      lines(`service: s
stages:
  - id: a
    gates:
      - { id: q, query: up, fail: "< 1" }
      - { id: al, alert: ServiceDown }
      - { id: c, cardinality: { metric: m, label: l, allowed: [a] } }
      - { id: h, health: {} }
      - { id: f, healthField: a.b, fail: "== true" }
`),
    ).toEqual([
      'plan.yaml:5:18 stages[0].gates[0].query: a query gate needs Prometheus: add prometheus: { url: ... } to the plan',
      'plan.yaml:6:19 stages[0].gates[1].alert: an alert gate needs Prometheus: add prometheus: { url: ... } to the plan',
      'plan.yaml:7:18 stages[0].gates[2].cardinality: a cardinality gate needs Prometheus: add prometheus: { url: ... } to the plan',
      'plan.yaml:8:18 stages[0].gates[3].health: a health gate needs at least one node: add nodes: [{ name, url }] to the plan',
      'plan.yaml:9:18 stages[0].gates[4].healthField: a healthField gate needs at least one node: add nodes: [{ name, url }] to the plan',
    ]);
  });

  it('duplicate stage ids, unknown precondition gates, plan-wide rollback gates in stages without rollback', () => {
    expect(
      lines(`service: s
prometheus: { url: "http://127.0.0.1:9090" }
gates:
  - { id: err, query: up, fail: "< 1", onFail: rollback }
stages:
  - id: a
    rollback: { steps: [ { name: x, run: [./x.sh], precondition: { gate: nope } } ] }
  - id: b
  - id: a
`),
    ).toEqual([
      'plan.yaml:4:48 gates[0].onFail: "rollback" needs a rollback action in every stage (this gate is plan-wide); stages "b", "a" have none',
      'plan.yaml:7:74 stages[0].rollback.steps[0].precondition.gate: no gate has id "nope"',
      'plan.yaml:9:9 stages[2].id: duplicate stage id "a" (also stages[0].id)',
    ]);
  });

  it('relative thresholds and baselines', () => {
    expect(
      gateLines(`      - { id: rel-ok, query: up, fail: "> +10%" }
      - { id: rel-alert, alert: X, fail: "> +10%" }
      - { id: base-no-rel, query: up, fail: "> 1", baseline: { value: 1 } }
      - { id: base-two, query: up, fail: "> +5%", baseline: { value: 1, offset: 1h } }
      - { id: base-field, query: up, fail: "> +5%", baseline: { field: a.b } }
`),
    ).toEqual([
      'plan.yaml:7:42 stages[0].gates[1].fail: a relative threshold needs a gate that reads a number (query, healthField or evidence), not an alert gate',
      'plan.yaml:8:52 stages[0].gates[2].baseline: a baseline is given but no threshold is relative; write one such as "> +10%"',
      'plan.yaml:9:61 stages[0].gates[3].baseline: expected one of query, offset, value or field, got offset and value',
      'plan.yaml:10:65 stages[0].gates[4].baseline.field: baseline.field reads a field of an evidence report; this is not an evidence gate',
    ]);
  });

  it('notifiers need their destination', () => {
    expect(
      lines(`service: s
stages: [ { id: a } ]
notify:
  - { kind: slack }
  - { kind: teams, urlEnv: A, urlFile: /b }
  - { kind: file }
  - { kind: email, smtp: { host: h } }
  - { kind: webhook, urlEnv: HOOK, path: x.jsonl }
`),
    ).toEqual([
      'plan.yaml:4:5 notify[0]: a slack notifier needs urlEnv or urlFile (the webhook URL is a secret)',
      'plan.yaml:5:31 notify[1].urlFile: expected urlEnv or urlFile, not both',
      'plan.yaml:6:5 notify[2]: a file notifier needs path, such as monitor_logs/notification_fallback.jsonl',
      'plan.yaml:7:5 notify[3]: an email notifier needs from',
      'plan.yaml:7:5 notify[3]: an email notifier needs to (a list of addresses) or toEnv',
      'plan.yaml:8:36 notify[4].path: path does not apply to a webhook notifier',
    ]);
  });
});

describe('loading', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fd-plan-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads a plan with defaults, an absolute file and its directory', async () => {
    const file = join(dir, 'p.yaml');
    await writeFile(file, 'service: s\nstages: [ { id: a, bake: 15m } ]\n');
    const loaded = await loadPlan(file);
    expect(loaded.file).toBe(file);
    expect(loaded.dir).toBe(dir);
    expect(loaded.plan.stages[0]!.bake).toBe(900_000);
    expect(loaded.plan.polling.phases).toEqual([{ for: 300_000, every: 30_000 }, { every: 120_000 }]);
    expect(planPath(loaded, 'evidence/r.json')).toBe(join(dir, 'evidence/r.json'));
    expect(planPath(loaded, '/abs/r.json')).toBe('/abs/r.json');
  });

  it('an unreadable plan is a problem, not a crash', async () => {
    expect(await problemsOfFile(join(dir, 'missing.yaml'))).toEqual([`${join(dir, 'missing.yaml')}:1:1 cannot read the plan: no such file`]);
    expect(await problemsOfFile(dir)).toEqual([`${dir}:1:1 cannot read the plan: it is a directory`]);
  });

  it('withOverrides points a copy at another Prometheus, nodes and HTTP origin', () => {
    const loaded = parsePlanText(
      `service: s
prometheus: { url: "http://127.0.0.1:9090", tokenEnv: T }
nodes: [ { name: n1, url: "http://127.0.0.1:18081" } ]
stages:
  - id: a
    promote: { http: { url: "http://127.0.0.1:8901/api/x?y=1" } }
    rollback: { steps: [ { name: r, http: { url: "http://127.0.0.1:8901/api/z" } }, { name: s, run: [./s.sh] } ] }
`,
      'p.yaml',
      '/tmp',
    );
    const o = withOverrides(loaded, {
      prometheusUrl: 'http://127.0.0.1:41234',
      nodes: [{ name: 'x', url: 'http://127.0.0.1:5555', health: '/health' }],
    });
    expect(o.plan.prometheus).toMatchObject({ url: 'http://127.0.0.1:41234', tokenEnv: 'T' });
    expect(o.plan.nodes.map((n) => n.url)).toEqual(['http://127.0.0.1:5555']);
    // the original is untouched
    expect(loaded.plan.prometheus?.url).toBe('http://127.0.0.1:9090');
    expect(loaded.plan.nodes[0]!.url).toBe('http://127.0.0.1:18081');

    const bare = parsePlanText('service: s\nstages: [ { id: a } ]\n', 'p.yaml', '/tmp');
    expect(withOverrides(bare, { prometheusUrl: 'http://127.0.0.1:1' }).plan.prometheus).toEqual({ url: 'http://127.0.0.1:1', timeout: 5000, maxBytes: 8 * 1024 * 1024 });
  });

  it('file in messages is the path as given; LoadedPlan.file is absolute', () => {
    expect(parsePlanText('service: s\nstages: [ { id: a } ]\n', 'rel/p.yaml', '/tmp').file).toBe(resolve('rel/p.yaml'));
    expect(problemsOf('stages: [ { id: a } ]\n', 'rel/p.yaml')[0]!.file).toBe('rel/p.yaml');
  });
});

describe('a JSON plan: parsed once by JSON.parse when it is good, by the YAML parser (for positions) when it is not', () => {
  const good = {
    service: 'checkout',
    prometheus: { url: 'http://127.0.0.1:9090' },
    nodes: [{ name: 'n1', url: 'http://127.0.0.1:1/health' }, { name: 'n2', url: 'http://127.0.0.1:2/health' }],
    stages: [{ id: 'canary', gates: [{ id: 'errors', query: 'sum(rate(http_errors_total[1m]))', fail: '> 0.05' }] }],
  };

  it('gives the plan the YAML path gives for the same text', () => {
    const json = JSON.stringify(good, null, 2);
    // A leading newline and a comment make the same plan text that JSON.parse refuses: the YAML path.
    const viaYaml = parsePlanText(`# the same plan\n${json}`, 'p.json', '/tmp');
    const fast = parsePlanText(json, 'p.json', '/tmp');
    expect(fast.plan).toEqual(viaYaml.plan);
    expect(fast.plan.nodes).toHaveLength(2);
    expect(fast.textSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(fast.textSha256).not.toBe(viaYaml.textSha256);
  });

  it('a repeated key (JSON.parse would keep the last) is still refused, at its line', () => {
    const text = '{\n  "service": "a",\n  "stages": [ { "id": "s" } ],\n  "service": "b"\n}\n';
    expect(problemsOf(text, 'p.json').map(formatProblem)).toEqual([expect.stringMatching(/^p\.json:4:3 invalid YAML: Map keys must be unique/)]);
  });

  it('a schema problem and a literal secret are named with file, line and field', () => {
    const bad = structuredClone(good) as Record<string, unknown>;
    (bad.stages as Array<{ gates: Array<Record<string, unknown>> }>)[0]!.gates[0]!.onFail = 'explode';
    (bad.prometheus as Record<string, unknown>).token = 'abcdef123456';
    const text = JSON.stringify(bad, null, 2);
    expect(problemsOf(text, 'p.json').map(formatProblem)).toEqual([
      'p.json:5:5 prometheus.token: a literal secret is not allowed in a plan; use tokenEnv or tokenFile',
      expect.stringMatching(/^p\.json:\d+:\d+ stages\[0\]\.gates\[0\]\.onFail: expected one of "alert", "block", "rollback", got "explode"$/),
    ]);
  });

  it('a literal secret the schema would accept (a token on a command line) is still refused', () => {
    const bad = structuredClone(good) as Record<string, unknown>;
    (bad.stages as Array<Record<string, unknown>>)[0]!.rollback = { run: ['deploy', '--token', 'abcdef123456'] };
    expect(problemsOf(JSON.stringify(bad), 'p.json').map(formatProblem)).toEqual([
      expect.stringMatching(/^p\.json:1:\d+ stages\[0\]\.rollback\.run\[2\]: a literal secret after --token is not allowed in a plan/),
    ]);
  });

  it('a cross-field problem (a bad PromQL query) is placed inside the query', () => {
    const bad = structuredClone(good);
    bad.stages[0]!.gates[0]!.query = 'sum(rate(http_errors_total[1m])';
    expect(problemsOf(JSON.stringify(bad), 'p.json').map(formatProblem)).toEqual([expect.stringMatching(/^p\.json:1:\d+ stages\[0\]\.gates\[0\]\.query: /)]);
  });
});

describe('hasDuplicateKey (JSON text JSON.parse accepted)', () => {
  it('finds a key repeated in the same object, at any depth, escaped or not', () => {
    expect(hasDuplicateKey('{"a":1,"a":2}')).toBe(true);
    expect(hasDuplicateKey('{"x":[{"b":1},{"c":{"d":1, "d" : 2}}]}')).toBe(true);
    expect(hasDuplicateKey('{"ab":1,"a\\u0062":2}')).toBe(true);
  });
  it('the same key in different objects, or as a value, is not a repeat', () => {
    expect(hasDuplicateKey('{"a":{"a":1},"b":[{"a":1},{"a":2}],"c":"a","d":["a","a"]}')).toBe(false);
    expect(hasDuplicateKey('{"q\\"":"x\\\\","r":"{\\"a\\":1,\\"a\\":2}"}')).toBe(false);
  });
});
