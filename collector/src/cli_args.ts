import { parseArgs } from 'node:util';

/**
 * The command line, Promtail's way and the GNU way: Go's flag package takes
 * `-config.file=PATH`, `-config.file PATH` and `--config.file=PATH`, and bool
 * flags as `-dry-run`, `-dry-run=true` or `-dry-run=false`. We translate those
 * forms (one leading dash becomes two; `=true` / `=false` on a bool flag
 * become present / absent) and hand the result to node:util parseArgs, which
 * does the rest (strict: unknown flags are errors). No dependency needed.
 */
const OPTIONS = {
  'config.file': { type: 'string' },
  'config.expand-env': { type: 'boolean' },
  'check-config': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  stdin: { type: 'boolean' },
  'stdin.format': { type: 'string' },
  'log.level': { type: 'string' },
  version: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const BOOLEAN_FLAGS = new Set(
  Object.entries(OPTIONS)
    .filter(([, o]) => o.type === 'boolean')
    .map(([name]) => name),
);

export interface CliArgs {
  configFile: string | undefined;
  expandEnv: boolean;
  checkConfig: boolean;
  dryRun: boolean;
  stdin: boolean;
  stdinFormat: 'raw' | 'jsonl';
  logLevel: 'debug' | 'info' | 'warn' | 'error' | undefined;
  version: boolean;
  help: boolean;
}

export class CliArgsError extends Error {}

/** Go-flag forms -> GNU forms (see above). Arguments after `--` are left alone. */
export function normalizeArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    let flag = /^-[^-]/.test(arg) && arg.length > 2 && !arg.startsWith('-h=') ? `-${arg}` : arg;
    const bool = /^--([^=]+)=(.*)$/.exec(flag);
    if (bool && BOOLEAN_FLAGS.has(bool[1] as string)) {
      const value = (bool[2] as string).toLowerCase();
      if (['true', '1', 't'].includes(value)) flag = `--${bool[1]}`;
      else if (['false', '0', 'f'].includes(value)) continue;
      else throw new CliArgsError(`invalid boolean value "${bool[2]}" for -${bool[1]}`);
    }
    out.push(flag);
  }
  return out;
}

export function parseCliArgs(argv: readonly string[]): CliArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: normalizeArgs(argv),
      options: OPTIONS,
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    if (err instanceof CliArgsError) throw err;
    throw new CliArgsError((err as Error).message);
  }
  const format = values['stdin.format'] ?? 'raw';
  if (format !== 'raw' && format !== 'jsonl') {
    throw new CliArgsError(`--stdin.format must be raw or jsonl (got "${format}")`);
  }
  const level = values['log.level'];
  if (level !== undefined && !['debug', 'info', 'warn', 'error'].includes(level)) {
    throw new CliArgsError(`-log.level must be debug, info, warn or error (got "${level}")`);
  }
  return {
    configFile: values['config.file'],
    expandEnv: values['config.expand-env'] ?? false,
    checkConfig: values['check-config'] ?? false,
    dryRun: values['dry-run'] ?? false,
    stdin: values.stdin ?? false,
    stdinFormat: format,
    logLevel: level as CliArgs['logLevel'],
    version: values.version ?? false,
    help: values.help ?? false,
  };
}

export const USAGE = `Usage: whodunit-collector -config.file=PATH [flags]

A Promtail-compatible log collector. Flags take Go's form (-config.file=PATH)
or GNU's (--config.file PATH).

  -config.file PATH         the config file (Promtail's format)
  -config.expand-env=true   expand \${VAR} and \${VAR:-default} in the config
  --check-config            validate the config, print every problem, exit 1 on errors
  --dry-run                 print entries as JSON lines on stdout instead of shipping
  --stdin                   read lines from standard input as one target (with the
                            first scrape config's pipeline and static labels)
  --stdin.format=jsonl      read entries in the --dry-run JSON form instead of raw lines
  -log.level LEVEL          debug, info, warn or error (default: server.log_level)
  --version                 print the version
  -h, --help                print this help

Subcommands:
  decrypt --key-file PATH   decrypt what the encrypt stage wrote (JSON lines on stdin);
                            see \`whodunit-collector decrypt --help\`

Example:
  printf 'GET /x 200\\n' | whodunit-collector -config.file=promtail.yaml --stdin --dry-run
`;
