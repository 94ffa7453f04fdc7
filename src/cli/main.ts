/** The `flightdeck` command line. */
import { Command, Option } from 'commander';
// Each command loads what it needs when it runs: `--version`, `validate` and `check` stay quick,
// and the cockpit's Ink starts loading before anything else (see cockpitSoon).
import type { ActFlags } from './act.js';
import type { PlanFlags } from './plan-input.js';
import type { WatchFlags } from './watch.js';
import type { DemoFlags } from '../demo/run-demo.js';
import type { ImportFlags } from '../import/cli.js';
import type { BacktestFlags } from '../backtest/cli.js';
import type { LoadedPlan } from '../plan/plan-file.js';
import type { Store } from '../store/store.js';

const program = new Command();
program
  .name('flightdeck')
  .description('A terminal cockpit for guarded production rollouts')
  .version('0.1.0')
  .showHelpAfterError();

function planOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--prometheus-url <url>', 'use this Prometheus instead of the plan\'s'))
    .addOption(new Option('--nodes-file <file>', 'poll these nodes instead of the plan\'s (JSON array of {name, url})'));
}

/** Starts loading the cockpit (Ink, React) now when it will be drawn, so it overlaps the rest of start-up. */
function cockpitSoon(json: boolean | undefined): void {
  if (json || !process.stdout.isTTY) return;
  void import('./load-cockpit.js').then((m) => m.loadCockpit()).catch(() => undefined);
}

async function loadOrExit(file: string, flags: PlanFlags, code = 2) {
  const { describeLoadError, loadPlanWithFlags } = await import('./plan-input.js');
  try {
    return await loadPlanWithFlags(file, flags);
  } catch (err) {
    process.stderr.write(`${describeLoadError(err)}\n`);
    process.exit(code);
  }
}

/** Whether `file` loads as a plan (an audit log given a plan file by mistake is not "tampered"). */
async function isPlan(file: string): Promise<boolean> {
  const { loadPlanWithFlags } = await import('./plan-input.js');
  return loadPlanWithFlags(file, {}).then(
    () => true,
    () => false,
  );
}

/** `check --json` on a plan that does not load still prints a JSON document: the verdict and every problem. */
async function loadOrJson(file: string, flags: PlanFlags) {
  const { loadPlanWithFlags } = await import('./plan-input.js');
  try {
    return await loadPlanWithFlags(file, flags);
  } catch (err) {
    const { planErrorJson } = await import('./check.js');
    process.stdout.write(`${JSON.stringify(planErrorJson(file, err), null, 2)}\n`);
    process.exit(2);
  }
}

program
  .command('validate')
  .description('validate a plan file; prints every problem with file:line:column and field; exit 0 ok, 1 problems, 2 could not ask Prometheus')
  .argument('<plan>', 'plan file (YAML or JSON)')
  .option('--online', 'also ask the plan\'s Prometheus whether every alert rule exists and every query\'s metrics have series')
  .addOption(new Option('--prometheus-url <url>', 'with --online: ask this Prometheus instead of the plan\'s'))
  .action(async (file: string, opts: { online?: boolean; prometheusUrl?: string }) => {
    const loaded = await loadOrExit(file, { prometheusUrl: opts.prometheusUrl }, 1);
    const { runValidate } = await import('./validate.js');
    const r = await runValidate(loaded, file, { online: opts.online });
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    process.exitCode = r.code;
  });

planOptions(
  program
    .command('check')
    .description('evaluate every gate of a stage once; exit 0 pass, 1 a gate fails or blocks, 2 could not evaluate')
    .argument('<plan>', 'plan file')
    .option('--stage <id>', 'stage to evaluate (default: the saved current stage, else the first)')
    .option('--json', 'print JSON instead of a table'),
).action(async (file: string, opts: PlanFlags & { stage?: string; json?: boolean }) => {
  const loaded = opts.json ? await loadOrJson(file, opts) : await loadOrExit(file, opts);
  const { checkJson, formatCheck, planErrorJson, runCheck } = await import('./check.js');
  // Names the plan uses that Prometheus does not know (a misspelled alert or metric), asked beside the check.
  const warnings = import('./validate.js').then((m) => m.startupWarnings(loaded));
  try {
    const outcome = await runCheck(loaded, { stageId: opts.stage });
    // A slow answer does not hold the verdict up: what has not come a quarter second after it is dropped.
    const late = new Promise<string[]>((r) => setTimeout(() => r([]), 250).unref());
    for (const w of await Promise.race([warnings, late])) process.stderr.write(`warning: ${w}\n`);
    process.stdout.write(opts.json ? `${JSON.stringify(checkJson(outcome), null, 2)}\n` : `${formatCheck(outcome, process.stdout.columns ?? 160)}\n`);
    process.exitCode = outcome.exitCode;
  } catch (err) {
    if (opts.json) process.stdout.write(`${JSON.stringify(planErrorJson(file, err), null, 2)}\n`);
    else process.stderr.write(`flightdeck check: ${(err as Error).message}\n`);
    process.exitCode = 2;
  }
});

planOptions(
  program
    .command('guard')
    .description('watch a plan with no terminal (polls, judges, auto-rolls back, notifies, audits); `guard stop PLAN` stops it')
    .argument('<plan>', 'plan file (or "stop")')
    .argument('[plan-to-stop]', 'with "stop": the plan whose guard to stop')
    .option('--foreground', 'stay in the foreground, log to stdout (for systemd)')
    .option('--dry-run', 'actions pass their scripts\' dry-run arguments and run nothing else')
    .option('--no-auto-rollback', 'a failing rollback gate raises a critical alert instead of rolling back')
    .option('--record <file>', 'record every observation and event (NDJSON; .gz compresses)')
    .option('--metrics-port <port>', 'serve Flightdeck\'s own Prometheus metrics on 127.0.0.1:PORT/metrics')
    .option('--group-shareable', 'open the control socket to the plan directory\'s group (mode 0660; default 0600)')
    .option('--stage <id>', 'start at this stage instead of the saved one')
    .option('--state-dir <dir>', "this guard's directory for its record, socket and log (one per bastion; default .flightdeck beside the plan)")
    .option('--store-url-env <name>', 'keep state, lock, audit and leadership in the PostgreSQL database whose URL this environment variable holds (overrides store.postgres.urlEnv)'),
).action(async (first: string, second: string | undefined, opts: PlanFlags & import('./guard.js').GuardCliFlags & { groupShareable?: boolean }) => {
  const g = await import('./guard.js');
  const out = (l: string) => process.stdout.write(`${l}\n`);
  if (first === 'stop' && second) {
    process.exitCode = await g.stopGuard(second, out);
    return;
  }
  const loaded = await loadOrExit(first, opts);
  process.exitCode = await g.runGuardCommand(loaded, { ...opts, groupShare: opts.groupShareable ?? false }, out);
});

program
  .command('status')
  .description('the guards running on this machine: plan, stage, gates, running action, attached cockpits, uptime')
  .action(async () => {
    process.exitCode = await (await import('./guard.js')).showStatus((l) => process.stdout.write(`${l}\n`));
  });

planOptions(
  program
    .command('watch')
    .description('the cockpit: live stage, gate, node and alert panels; acts with confirmation')
    .argument('<plan>', 'plan file')
    .option('--readonly', 'watch only: no promote, rollback or auto-rollback (a failing rollback gate raises an alert)')
    .option('--dry-run', 'actions pass their scripts\' dry-run arguments and run nothing else')
    .option('--no-auto-rollback', 'a failing rollback gate raises a critical alert instead of rolling back')
    .option('--json', 'no cockpit: stream every event as NDJSON (the default when stdout is not a terminal)')
    .option('--no-color', 'no colours (NO_COLOR is honoured too)')
    .option('--ascii', 'no box drawing, no Unicode sparklines')
    .option('--record <file>', 'record every observation and event (NDJSON; .gz compresses) for replay and report')
    .option('--metrics-port <port>', 'serve Flightdeck\'s own Prometheus metrics on 127.0.0.1:PORT/metrics')
    .option('--stage <id>', 'start at this stage instead of the saved one')
    .option('--no-guard', 'watch in this process (quick looks) instead of attaching to the plan\'s guard'),
).action(async (file: string, opts: PlanFlags & WatchFlags) => {
  cockpitSoon(opts.json);
  const loaded = await loadOrExit(file, opts);
  const { runWatch } = await import('./watch.js');
  try {
    process.exitCode = await runWatch(loaded, opts);
  } catch (err) {
    process.stderr.write(`flightdeck watch: ${(err as Error).message}\n`);
    process.exitCode = 2;
  }
});

for (const kind of ['promote', 'rollback'] as const) {
  planOptions(
    program
      .command(kind)
      .description(
        kind === 'promote'
          ? 'run the current stage\'s promote action (non-interactive); a blocked stage needs --override with --reason'
          : 'run the current stage\'s rollback playbook (non-interactive)',
      )
      .argument('<plan>', 'plan file')
      .option('--yes', 'act without asking (required unless --dry-run)')
      .option('--reason <text>', 'why; audited and notified')
      .option('--dry-run', 'pass each step its dry-run arguments; run nothing else')
      .option('--stage <id>', 'act on this stage when nothing is saved (a saved state at another stage is repaired with `state set` first)')
      .option('--json', 'also print every event as JSON')
      .option('--notify-wait <duration>', 'how long to wait for notification delivery before exiting (Retry-After honoured; the rest goes to the fallback file)', '30s'),
  )
    .addOption(kind === 'promote' ? new Option('--override', 'guarded override: promote past blocking gates (needs --reason)') : new Option('--include <steps...>', 'optional rollback steps to run too, by exact name ("all" for every one); an unknown name is an error'))
    .action(async (file: string, opts: PlanFlags & ActFlags & { include?: string[] }) => {
      const loaded = await loadOrExit(file, opts);
      const { runAct } = await import('./act.js');
      const out = (l: string) => process.stdout.write(`${l}\n`);
      // A running guard is the plan's one writer: the action runs there, as its child.
      const viaGuard = await (await import('./guard.js')).actViaGuard(kind, loaded, opts, out);
      process.exitCode = viaGuard ?? (await runAct(kind, loaded, opts, out));
    });
}

const state = program.command('state').description("where the rollout stands (the state in the plan's store: beside the plan, or PostgreSQL)");
const STATE_URL_ENV = 'the environment variable holding the PostgreSQL URL (overrides store.postgres.urlEnv)';
state
  .command('show')
  .description('print the stage, since when, the window and its verdict, the baselines; exit 2 when the saved state is unusable')
  .argument('<plan>', 'plan file')
  .option('--json', 'print JSON')
  .option('--store-url-env <name>', STATE_URL_ENV)
  .action(async (file: string, opts: { json?: boolean; storeUrlEnv?: string }) => {
    const loaded = await loadOrExit(file, {});
    const { runStateShow } = await import('./state.js');
    process.exitCode = await inPlanStore('state show', loaded, opts.storeUrlEnv, (store) => runStateShow(loaded, opts, (l) => process.stdout.write(`${l}\n`), { store }));
  });
state
  .command('set')
  .description('repair the saved state: the rollout is at this stage (takes the action lock; audited)')
  .argument('<plan>', 'plan file')
  .requiredOption('--stage <id>', 'the stage the rollout is really at')
  .requiredOption('--reason <text>', 'why; audited')
  .option('--rolled-back', 'that stage was rolled back')
  .option('--entered-at <time>', 'when the stage was entered (ISO 8601 or epoch ms; default now): the window and its phases run from then')
  .option('--store-url-env <name>', STATE_URL_ENV)
  .action(async (file: string, opts: { stage: string; reason: string; rolledBack?: boolean; enteredAt?: string; storeUrlEnv?: string }) => {
    const loaded = await loadOrExit(file, {});
    const { runStateSet } = await import('./state.js');
    process.exitCode = await inPlanStore('state set', loaded, opts.storeUrlEnv, (store) => runStateSet(loaded, opts, (l) => process.stdout.write(`${l}\n`), { store }));
  });

/** Runs `fn` on the store the plan names (its files, or PostgreSQL), closed after; a store that cannot be opened is exit 2, said. */
async function inPlanStore(command: string, loaded: LoadedPlan, urlEnv: string | undefined, fn: (store: Store) => Promise<number>): Promise<number> {
  const { chooseStore } = await import('../store/choose.js');
  let chosen;
  try {
    chosen = await chooseStore(loaded, process.env, urlEnv ? { urlEnv } : {});
  } catch (err) {
    process.stderr.write(`flightdeck ${command}: ${(err as Error).message}\n`);
    return 2;
  }
  try {
    return await fn(chosen.store);
  } finally {
    await chosen.close();
  }
}

const audit = program.command('audit').description('the audit log');
audit
  .command('verify')
  .description('check that no line of an audit log was changed, removed or reordered, at the end too (exit 0 intact, 1 tampered)')
  .argument('[file]', 'audit JSONL file')
  .option('--plan <plan>', "verify the audit of the store the plan names (its file, or its rows in PostgreSQL)")
  .option('--store-url-env <name>', 'with --plan: the environment variable holding the PostgreSQL URL (overrides store.postgres.urlEnv)')
  .action(async (file: string | undefined, opts: { plan?: string; storeUrlEnv?: string }) => {
    try {
      if (opts.plan) {
        const loaded = await loadOrExit(opts.plan, {});
        const { verifyPlanAudit } = await import('./audit-store.js');
        process.exitCode = await verifyPlanAudit(loaded, (l) => process.stdout.write(`${l}\n`), opts.storeUrlEnv);
        return;
      }
      if (!file) throw new Error('name an audit file, or --plan PLAN');
      const { verifyAudit } = await import('../audit/verify.js');
      const r = await verifyAudit(file);
      if (!r.ok && r.line === 1 && (await isPlan(file))) throw new Error(`${file} is a plan, not an audit log: flightdeck audit verify --plan ${file}`);
      if (r.ok) process.stdout.write(`${file}: intact, ${r.lines} line(s)\n${r.note ? `note: ${r.note}\n` : ''}`);
      else process.stdout.write(`${file}:${r.line}: ${r.problem}\n`);
      process.exitCode = r.ok ? 0 : 1;
    } catch (err) {
      process.stderr.write(`flightdeck audit verify: ${(err as Error).message}\n`);
      process.exitCode = 2;
    }
  });
audit
  .command('export')
  .description("write the audit kept in the plan's PostgreSQL store as JSONL (verifiable with `audit verify FILE`)")
  .requiredOption('--plan <plan>', 'the plan whose store holds the audit')
  .option('--out <file>', 'write here instead of stdout')
  .option('--store-url-env <name>', 'the environment variable holding the PostgreSQL URL (overrides store.postgres.urlEnv)')
  .action(async (opts: { plan: string; out?: string; storeUrlEnv?: string }) => {
    try {
      const loaded = await loadOrExit(opts.plan, {});
      const { exportPlanAudit } = await import('./audit-store.js');
      process.exitCode = await exportPlanAudit(loaded, opts.out, (l) => process.stderr.write(`${l}\n`), (t) => process.stdout.write(t), opts.storeUrlEnv);
    } catch (err) {
      process.stderr.write(`flightdeck audit export: ${(err as Error).message}\n`);
      process.exitCode = 2;
    }
  });

program
  .command('demo')
  .description('the cockpit against a built-in simulated fleet and Prometheus, at accelerated time')
  .option('--scenario <name>', 'healthy | regression | node-down | prometheus-down | override', 'healthy')
  .option('--speed <n>', 'how many times faster than real time', '30')
  .option('--nodes <n>', 'simulated nodes', '6')
  .option('--record <file>', 'record the window (NDJSON; .gz compresses) for replay and report')
  .option('--json', 'no cockpit: stream the events as NDJSON')
  .option('--no-color', 'no colours')
  .option('--ascii', 'no box drawing, no Unicode sparklines')
  .option('--no-autopilot', 'do not promote or sign off automatically; you drive with p, b, s')
  .option('--real-prometheus', 'scrape the fleet with the prometheus binary on PATH instead (real time)')
  .option('--dir <path>', 'working directory for the demo plan, audit and logs (default: a new temporary directory)')
  .action(async (opts: DemoFlags) => {
    cockpitSoon(opts.json);
    const { runDemo } = await import('../demo/run-demo.js');
    process.exitCode = await runDemo(opts, (l) => process.stderr.write(`${l}\n`));
  });

program
  .command('replay')
  .description('the cockpit from a recording, with no network: space pause, . step, [ ] seek, < > speed')
  .argument('<file>', 'recording written by --record')
  .option('--speed <n>', 'how many times faster than recorded (default: the demo\'s speed, or 10)')
  .option('--paused', 'start paused')
  .option('--json', 'no cockpit: print the replayed events as NDJSON')
  .option('--no-color', 'no colours')
  .option('--ascii', 'no box drawing, no Unicode sparklines')
  .action(async (file: string, opts: { speed?: string; paused?: boolean; json?: boolean; color?: boolean; ascii?: boolean }) => {
    cockpitSoon(opts.json);
    const { runReplay } = await import('../record/replay-cli.js');
    try {
      process.exitCode = await runReplay(file, opts, (l) => process.stdout.write(`${l}\n`));
    } catch (err) {
      process.stderr.write(`flightdeck replay: ${(err as Error).message}\n`);
      process.exitCode = 2;
    }
  });

program
  .command('report')
  .description('summarise a recorded deploy window as Markdown or one self-contained HTML page')
  .argument('<file>', 'recording written by --record (.ndjson or .ndjson.gz)')
  .option('--format <format>', 'md or html (default md, or html when --out ends in .html)')
  .option('--out <file>', 'write to this file instead of stdout')
  .action(async (file: string, opts: { format?: string; out?: string }) => {
    const { runReportCommand, parseReportFormat } = await import('../report/cli.js');
    let format;
    try {
      format = parseReportFormat(opts.format, opts.out);
    } catch (err) {
      process.stderr.write(`flightdeck report: ${(err as Error).message}\n`);
      process.exitCode = 2;
      return;
    }
    process.exitCode = await runReportCommand(file, { format, out: opts.out });
  });

const importCmd = program.command('import').description('turn what a team already has into a plan (every field it could not map is a NOTE comment)');
for (const [kind, what, arg] of [
  ['argo', 'an Argo Rollouts AnalysisTemplate / ClusterAnalysisTemplate (Prometheus metrics) → gates', 'ANALYSISTEMPLATE.yaml'],
  ['prometheus-rules', 'a Prometheus rule file: alerting rules → query gates with for:', 'RULES.yml'],
  ['dhash', 'seed 002\'s quality-gates-config.json → a plan with its polling and gates', 'quality-gates-config.json'],
] as const) {
  const cmd = importCmd
    .command(kind)
    .description(what)
    .argument(`<${arg}>`, 'the file to import')
    .option('--out <file>', 'write the plan here instead of stdout')
    .option('--service <name>', 'the plan\'s service')
    .option('--prometheus-url <url>', 'the plan\'s Prometheus');
  if (kind === 'argo') cmd.option('--arg <name=value...>', 'a value for {{args.NAME}}').option('--rollout <name>', 'the Rollout to abort on a failing gate');
  if (kind === 'dhash') cmd.option('--env <name>', 'the environment to import (default production)').option('--nodes-file <file>', 'the plan\'s nodes (JSON array of {name, url})');
  cmd.action(async (file: string, opts: ImportFlags) => {
    const { runImport } = await import('../import/cli.js');
    process.exitCode = await runImport(kind, file, opts, (l) => process.stderr.write(`${l}\n`), (s) => process.stdout.write(s));
  });
}

planOptions(
  program
    .command('backtest')
    .description('replay the plan\'s gates over Prometheus history (or recordings): pending, failing, rollbacks, longest breach; --suggest thresholds')
    .argument('<plan>', 'plan file')
    .argument('[recordings...]', 'recordings (--record) to replay instead of Prometheus')
    .option('--from <time>', 'start: ISO time, unix seconds or now-1h')
    .option('--to <time>', 'end (default now)', 'now')
    .option('--stage <id>', 'only this stage\'s gates (and the plan-wide ones)')
    .option('--good <from/to...>', 'windows known healthy: a failure there is a false one')
    .option('--bad <from/to...>', 'windows of known incidents: time to detect each')
    .option('--suggest', 'propose thresholds and for: from healthy history, as a plan diff (never applied)')
    .option('--budget <n>', 'false failures allowed in the good windows for --suggest', '0')
    .option('--chunk <points>', 'evaluations per range query', '1000')
    .option('--json', 'print JSON'),
).action(async (file: string, recordings: string[], opts: PlanFlags & BacktestFlags) => {
  const loaded = await loadOrExit(file, opts);
  const { runBacktest, formatBacktest, backtestExitCode } = await import('../backtest/cli.js');
  try {
    const report = await runBacktest(loaded, recordings, opts, (l) => process.stderr.write(`${l}\n`));
    process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatBacktest(report, file)}\n`);
    process.exitCode = backtestExitCode(report);
  } catch (err) {
    process.stderr.write(`flightdeck backtest: ${(err as Error).message}\n`);
    process.exitCode = 2;
  }
});

program
  .command('simulate')
  .description('run a simulated fleet on 127.0.0.1 (for demos and tests) until interrupted')
  .option('--nodes <n>', 'how many nodes', '5')
  .option('--control-port <port>', 'port of the fault-control server')
  .option('--write-targets <file>', 'write host:port scrape targets, one a line')
  .option('--write-plan-nodes <file>', 'write the nodes as JSON for --nodes-file')
  .action(async (opts: { nodes: string; controlPort?: string; writeTargets?: string; writePlanNodes?: string }) => {
    const { runSimulateCommand } = await import('../simulator/index.js');
    await runSimulateCommand({
      nodes: Number(opts.nodes),
      controlPort: opts.controlPort ? Number(opts.controlPort) : undefined,
      writeTargets: opts.writeTargets,
      writePlanNodes: opts.writePlanNodes,
    });
  });

await program.parseAsync(process.argv);
