import pg from 'pg';
import { MigrationError } from './errors.js';
import { migrationsDir, readMigrations, type Migration } from './migrations.js';

export interface MigrateOptions {
  /** Folder of NNN_name.sql files; defaults to the package's own migrations. */
  dir?: string;
  /** Progress lines (one per applied migration); silent by default. */
  log?: (line: string) => void;
}

export interface MigrateResult {
  /** File names applied by this run, in order; empty when the database was up to date. */
  applied: string[];
}

// Two migrators started at once (two app replicas) must not both apply 003.
const LOCK_KEY = "hashtext('whodunit.migrate')";

async function appliedChecksums(client: pg.Client): Promise<Map<string, string>> {
  const exists = await client.query<{ table: string | null }>(
    "select to_regclass('audit.schema_migrations')::text as table",
  );
  if (exists.rows[0]?.table == null) return new Map();
  const rows = await client.query<{ filename: string; checksum: string }>(
    'select filename, checksum from audit.schema_migrations',
  );
  return new Map(rows.rows.map((r) => [r.filename, r.checksum]));
}

/** Refuses to go on when the files and the database disagree about the past. */
function checkHistory(migrations: Migration[], applied: Map<string, string>, dir: string): void {
  const files = new Map(migrations.map((m) => [m.filename, m]));
  for (const [filename, checksum] of applied) {
    const file = files.get(filename);
    if (!file) {
      throw new MigrationError(
        'WHODUNIT_MIGRATION_UNKNOWN',
        `migration ${filename} is recorded in audit.schema_migrations but missing from ${dir}: ` +
          'this database was migrated by a newer whodunit; upgrade before migrating',
      );
    }
    if (file.checksum !== checksum) {
      throw new MigrationError(
        'WHODUNIT_MIGRATION_CHECKSUM',
        `migration ${filename} was edited after it was applied (checksum in audit.schema_migrations ${checksum}, ` +
          `file now ${file.checksum}): restore the file and put the change in a new migration`,
      );
    }
  }
}

/** ":<line>" of the error position PostgreSQL reports, if any. */
function lineOf(sql: string, error: unknown): string {
  const position = Number((error as { position?: string }).position);
  if (!Number.isInteger(position) || position < 1) return '';
  return `:${sql.slice(0, position - 1).split('\n').length}`;
}

async function applyOne(client: pg.Client, migration: Migration): Promise<void> {
  await client.query('begin');
  try {
    await client.query(migration.sql);
    await client.query('insert into audit.schema_migrations (filename, checksum) values ($1, $2)', [
      migration.filename,
      migration.checksum,
    ]);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback');
    throw new MigrationError(
      'WHODUNIT_MIGRATION_FAILED',
      `migration ${migration.filename}${lineOf(migration.sql, error)} failed and was rolled back: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * Creates the capture slot if it is missing (audit.start_capture(), in a transaction of its own,
 * as slot creation needs). Migrations stay applied when it fails: the error says what to change.
 */
async function startCapture(client: pg.Client): Promise<void> {
  const exists = await client.query<{ fn: string | null }>(
    "select to_regprocedure('audit.start_capture()')::text as fn",
  );
  if (exists.rows[0]?.fn == null) return; // a migrations folder from before 011
  try {
    await client.query('select audit.start_capture()');
  } catch (error) {
    const { message, hint } = error as { message: string; hint?: string };
    throw new MigrationError(
      'WHODUNIT_CAPTURE_UNAVAILABLE',
      `the migrations are applied, but the audit capture cannot start: ${message}${hint ? ` (${hint})` : ''}`,
      { cause: error },
    );
  }
}

/**
 * Applies the migrations missing from the database, each in its own transaction, records them in
 * audit.schema_migrations, then runs audit.maintain() (partitions) and audit.start_capture() (the
 * capture slot). A second run is a no-op.
 */
export async function migrate(url: string, options: MigrateOptions = {}): Promise<MigrateResult> {
  const dir = options.dir ?? migrationsDir;
  const migrations = await readMigrations(dir);
  const client = new pg.Client({ connectionString: url, application_name: 'whodunit-migrate' });
  await client.connect();
  try {
    await client.query(`select pg_advisory_lock(${LOCK_KEY})`);
    const applied = await appliedChecksums(client);
    checkHistory(migrations, applied, dir);
    const pending = migrations.filter((m) => !applied.has(m.filename));
    for (const migration of pending) {
      await applyOne(client, migration);
      options.log?.(`applied ${migration.filename}`);
    }
    if (migrations.length > 0) {
      await client.query('select audit.maintain()');
      await startCapture(client);
    }
    return { applied: pending.map((m) => m.filename) };
  } finally {
    await client.end();
  }
}
