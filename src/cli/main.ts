/** The `flightdeck` command line. */
import { Command, Option } from 'commander';
// Each command loads what it needs when it runs: `--version`, `validate` and `check` stay quick,
// and the cockpit's Ink starts loading before anything else (see cockpitSoon).
import type { ActFlags } from './act.js';
import type { PlanFlags } from './plan-input.js';
import type { WatchFlags } from './watch.js';
import type { DemoFlags } from '../demo/run-demo.js';

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

program
  .command('validate')
  .description('validate a plan file; prints every problem with file:line:column and field')
  .argument('<plan>', 'plan file (YAML or JSON)')
  .action(async (file: string) => {
    const loaded = await loadOrExit(file, {}, 1);
    const p = loaded.plan;
    const gates = p.gates.length + p.stages.reduce((n, s) => n + s.gates.length, 0);
    process.stdout.write(`${file}: ok — ${p.service}, ${p.stages.length} stage(s), ${gates} gate(s), ${p.nodes.length} node(s)\n`);
  });

planOptions(
  program
    .command('check')
    .description('evaluate every gate of a stage once; exit 0 pass, 1 a gate fails or blocks, 2 could not evaluate')
    .argument('<plan>', 'plan file')
    .option('--stage <id>', 'stage to evaluate (default: the first)')
    .option('--json', 'print JSON instead of a table'),
).action(async (file: string, opts: PlanFlags & { stage?: string; json?: boolean }) => {
  const loaded = await loadOrExit(file, opts);
  const { checkJson, formatCheck, runCheck } = await import('./check.js');
  try {
    const outcome = await runCheck(loaded, { stageId: opts.stage });
    process.stdout.write(opts.json ? `${JSON.stringify(checkJson(outcome), null, 2)}\n` : `${formatCheck(outcome, process.stdout.columns ?? 160)}\n`);
    process.exitCode = outcome.exitCode;
  } catch (err) {
    process.stderr.write(`flightdeck check: ${(err as Error).message}\n`);
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
    .option('--stage <id>', 'start at this stage instead of the saved one'),
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
      .option('--stage <id>', 'act on this stage instead of the saved current one')
      .option('--json', 'also print every event as JSON'),
  )
    .addOption(kind === 'promote' ? new Option('--override', 'guarded override: promote past blocking gates (needs --reason)') : new Option('--include <steps...>', 'optional rollback steps to run too ("all" for every one)'))
    .action(async (file: string, opts: PlanFlags & ActFlags & { include?: string[] }) => {
      const loaded = await loadOrExit(file, opts);
      const { runAct } = await import('./act.js');
      const include = opts.include?.includes('all') ? (['all'] as string[]) : opts.include;
      const out = (l: string) => process.stdout.write(`${l}\n`);
      // A running guard is the plan's one writer: the action runs there, as its child.
      const viaGuard = await (await import('./guard.js')).actViaGuard(kind, loaded, { ...opts, include }, out);
      process.exitCode = viaGuard ?? (await runAct(kind, loaded, { ...opts, include }, out));
    });
}

const audit = program.command('audit').description('the audit log');
audit
  .command('verify')
  .description('check that no line of an audit log was changed, removed or reordered (exit 0 intact, 1 tampered)')
  .argument('<file>', 'audit JSONL file')
  .action(async (file: string) => {
    const { verifyAudit } = await import('../audit/verify.js');
    try {
      const r = await verifyAudit(file);
      if (r.ok) process.stdout.write(`${file}: intact, ${r.lines} line(s)\n`);
      else process.stdout.write(`${file}:${r.line}: ${r.problem}\n`);
      process.exitCode = r.ok ? 0 : 1;
    } catch (err) {
      process.stderr.write(`flightdeck audit verify: ${(err as Error).message}\n`);
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
