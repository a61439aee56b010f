#!/usr/bin/env node
// whodunit-migrate <postgres-url>: applies the missing migrations of schema audit.
import { MigrationError } from './errors.js';
import { migrate } from './migrate.js';

const USAGE = 'usage: whodunit-migrate <postgres-url>   (e.g. postgres://postgres@localhost:5432/app)';

async function main(argv: string[]): Promise<number> {
  const url = argv[0];
  if (argv.length !== 1 || url === undefined || url === '--help' || url === '-h') {
    console.error(USAGE);
    return 2;
  }
  try {
    const { applied } = await migrate(url, { log: (line) => console.log(line) });
    console.log(
      applied.length === 0 ? 'audit schema is up to date' : `applied ${applied.length} migration(s)`,
    );
    return 0;
  } catch (error) {
    // The URL may hold a password: print the error, never the URL.
    const code = error instanceof MigrationError ? `${error.code}: ` : '';
    console.error(`whodunit-migrate: ${code}${(error as Error).message}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
