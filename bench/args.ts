/** The bench's command line: `--only a,b`, `--quick`, `--out FILE`. */

export const SECTION_ORDER = ['poll', 'bytes', 'render', 'startup', 'detect', 'idle', 'memory', 'pg'] as const;

export const USAGE = `usage: npm run bench -- [--only ${SECTION_ORDER.join(',')}] [--quick] [--out FILE]`;

export interface BenchArgs {
  /** Sections to run, in the bench's order. */
  only: string[];
  quick: boolean;
  out: string;
  help: boolean;
}

/** Parses the flags; throws an Error that says what was expected. */
export function parseArgs(argv: readonly string[], defaultOut: string): BenchArgs {
  const args: BenchArgs = { only: [...SECTION_ORDER], quick: false, out: defaultOut, help: false };
  const value = (i: number, flag: string): [string, number] => {
    const a = argv[i]!;
    if (a.startsWith(`${flag}=`)) return [a.slice(flag.length + 1), i];
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
    return [v, i + 1];
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') args.quick = true;
    else if (a === '--help' || a === '-h') args.help = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const [v, next] = value(i, '--only');
      i = next;
      const list = v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
      const bad = list.filter((x) => !(SECTION_ORDER as readonly string[]).includes(x));
      if (bad.length || list.length === 0) throw new Error(`--only ${v}: expected some of ${SECTION_ORDER.join(',')}`);
      args.only = SECTION_ORDER.filter((x) => list.includes(x));
    } else if (a === '--out' || a.startsWith('--out=')) {
      const [v, next] = value(i, '--out');
      i = next;
      args.out = v;
    } else throw new Error(`unknown argument ${a}; ${USAGE}`);
  }
  return args;
}
