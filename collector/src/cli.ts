#!/usr/bin/env node
/**
 * `whodunit-collector`: parses the command line, loads and validates the
 * config, and runs the agent (or only checks the config). Exit codes: 0 ok
 * (warnings allowed), 1 config or runtime error, 2 bad command line.
 */
import { CliArgsError, parseCliArgs, USAGE, type CliArgs } from './cli_args.js';
import type { LoadResult } from './config/load.js';
import { createLogger } from './logger.js';
import { collectorVersion } from './version.js';
import { capYoungGeneration } from './young_generation.js';

/**
 * Semi-space size. The young objects that live longest are a file batch's
 * entries (at most 1000 lines and 256 KiB, about 0.8 MB of objects), dead
 * once spooled. Measured with `npm run bench:collector` (collector/README.md,
 * "Performance"): at 3 MiB they survive two young GCs and fill the old
 * generation (133 MB peak); 8 MiB costs 8 MB more than 4 for no CPU gained.
 */
const SEMI_SPACE_MIB = 4;

// Before anything big is loaded: module loading alone grew V8's default young generation to its 32 MB.
capYoungGeneration(SEMI_SPACE_MIB);

// The rest is imported where it is needed (here, and by need in agent.ts): --version, --help
// and decrypt load no config, pipeline or shipping code, and a run only what its config uses.
async function loadFor(args: CliArgs): Promise<LoadResult> {
  const { loadConfigFile, loadConfigText } = await import('./config/load.js');
  if (args.configFile) return loadConfigFile(args.configFile, { expandEnv: args.expandEnv });
  // --stdin without a config: an empty one (job "stdin", no stages).
  return loadConfigText('{}', { displayName: '(no config)' });
}

// `... --dry-run | head`: a closed stdout ends the run quietly, like any Unix filter.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'decrypt') {
    const { runDecrypt } = await import('./decrypt_command.js');
    return runDecrypt(argv.slice(1), {
      input: process.stdin,
      output: process.stdout,
      errors: process.stderr,
    });
  }
  let args: CliArgs;
  try {
    args = parseCliArgs(argv);
  } catch (err) {
    if (!(err instanceof CliArgsError)) throw err;
    process.stderr.write(`whodunit-collector: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.version) {
    process.stdout.write(`whodunit-collector ${collectorVersion()} (node ${process.version})\n`);
    return 0;
  }

  if (!args.configFile && !args.stdin) {
    process.stderr.write(`whodunit-collector: -config.file is required (or --stdin)\n\n${USAGE}`);
    return 2;
  }
  const [{ config, diagnostics }, { formatDiagnostic }] = await Promise.all([
    loadFor(args),
    import('./config/diagnostics.js'),
  ]);

  if (args.checkConfig) {
    for (const d of diagnostics) process.stdout.write(formatDiagnostic(d) + '\n');
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    const warnings = diagnostics.length - errors;
    const summary =
      errors > 0
        ? `config has ${errors} error(s) and ${warnings} warning(s)`
        : `config OK (${warnings} warning(s))`;
    process.stdout.write(summary + '\n');
    return errors > 0 ? 1 : 0;
  }

  const logger = createLogger({ level: args.logLevel ?? config?.server.log_level ?? 'info' });
  for (const d of diagnostics) {
    if (d.severity === 'error') logger.error(formatDiagnostic(d));
    else logger.warn(formatDiagnostic(d));
  }
  if (!config || diagnostics.some((d) => d.severity === 'error')) return 1;

  if (!args.dryRun && config.clients.length === 0 && config.postgres_sinks.length === 0) {
    logger.error(
      'nothing to ship to: add a `clients:` entry with a Loki url (or a `postgres_sinks:` entry), or run with --dry-run',
    );
    return 1;
  }

  const [{ startAgent }, { Registry }] = await Promise.all([import('./agent.js'), import('prom-client')]);
  const agent = await startAgent({
    config,
    logger,
    metrics: new Registry(),
    output: process.stdout,
    dryRun: args.dryRun,
    ...(args.stdin ? { stdin: { input: process.stdin, format: args.stdinFormat } } : {}),
  });
  const stop = () => {
    logger.info('stopping');
    void agent.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await agent.done;
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    createLogger().error('fatal error', {
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
    process.exitCode = 1;
  },
);
