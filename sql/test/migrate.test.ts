// The migrator and the docker initdb script: same migrations, same records, either one first.
import { execFile } from 'node:child_process';
import { appendFile, cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { repoPath, startPostgres, type PostgresServer } from '@whodunit/testkit';
import { migrate, migrationsDir, readMigrations, MigrationError } from '@whodunit/sql';

const run = promisify(execFile);
let server: PostgresServer;
let scratch: string;

beforeAll(async () => {
  server = await startPostgres();
  scratch = await mkdtemp(join(tmpdir(), 'whodunit-migrations-'));
});

afterAll(async () => {
  await server?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** A copy of the real migrations that a test may edit. */
async function copyOfMigrations(name: string): Promise<string> {
  const dir = join(scratch, name);
  await cp(migrationsDir, dir, { recursive: true });
  return dir;
}

async function queryDb(database: string, sql: string) {
  const client = new pg.Client({ connectionString: server.urlFor(database) });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

const recorded = (database: string) =>
  queryDb(database, 'select filename, checksum, applied_at from audit.schema_migrations order by filename');

describe('migrate', () => {
  it('applies every migration once, records its sha256, and a second run is a no-op', async () => {
    const files = await readMigrations();
    const first = await migrate(server.url);
    expect(first.applied).toEqual(files.map((f) => f.filename));
    const before = await recorded('postgres');
    expect(before.map((r) => [r.filename, r.checksum])).toEqual(files.map((f) => [f.filename, f.checksum]));

    const second = await migrate(server.url);
    expect(second.applied).toEqual([]);
    expect(await recorded('postgres')).toEqual(before);
  });

  it('refuses an edited migration and names the file', async () => {
    const dir = await copyOfMigrations('edited');
    await appendFile(join(dir, '003_row_capture.sql'), '\n-- a harmless-looking edit\n');
    const error = await migrate(server.url, { dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).code).toBe('WHODUNIT_MIGRATION_CHECKSUM');
    expect((error as MigrationError).message).toMatch(
      /^migration 003_row_capture\.sql was edited after it was applied .*restore the file and put the change in a new migration$/,
    );
  });

  it('refuses a database that knows a migration the files do not', async () => {
    const dir = await copyOfMigrations('older');
    await rm(join(dir, '008_grants.sql'));
    await expect(migrate(server.url, { dir })).rejects.toThrow(/008_grants\.sql is recorded .* but missing/);
  });

  it('applies a new migration alone, and rolls a failing one back whole', async () => {
    const dir = await copyOfMigrations('newer');
    await server.query('create database newer');
    const url = server.urlFor('newer');
    await migrate(url);
    await writeFile(join(dir, '900_extra.sql'), 'create table audit.extra_setting (x int);\n');
    expect((await migrate(url, { dir })).applied).toEqual(['900_extra.sql']);

    await writeFile(join(dir, '901_broken.sql'), 'create table audit.half_done (x int);\nselect 1/0;\n');
    await expect(migrate(url, { dir })).rejects.toThrow(
      /^migration 901_broken\.sql failed and was rolled back: division by zero$/,
    );
    const left = await recorded('newer');
    expect(left.map((r) => r.filename)).not.toContain('901_broken.sql');
    expect(left.map((r) => r.filename)).toContain('900_extra.sql');
    expect(await queryDb('newer', `select to_regclass('audit.half_done') as t`)).toEqual([{ t: null }]);
  });

  it('has a CLI that says when the schema is up to date, and prints usage without a URL', async () => {
    const cli = repoPath('sql/src/cli.ts');
    // The database was migrated by the first test: the CLI finds nothing to do.
    const second = await run(process.execPath, ['--import', 'tsx', cli, server.url]);
    expect(second.stdout).toBe('audit schema is up to date\n');
    const usage = await run(process.execPath, ['--import', 'tsx', cli]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(usage).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^usage: whodunit-migrate <postgres-url>/),
    });
  });
});

describe('docker/initdb.sh', () => {
  const runInitdb = (database: string) =>
    run('bash', [repoPath('sql/docker/initdb.sh')], {
      env: {
        PATH: process.env.PATH,
        PGHOST: '127.0.0.1',
        PGPORT: String(server.port),
        POSTGRES_USER: 'postgres',
        POSTGRES_DB: database,
        WHODUNIT_MIGRATIONS_DIR: migrationsDir,
      },
    });

  it('applies the migrations with psql and records them exactly as the migrator would', async () => {
    await server.query('create database fresh');
    const { stdout } = await runInitdb('fresh');
    expect(stdout).toMatch(/applying 001_audit_schema\.sql[\s\S]*audit schema ready/);

    const files = await readMigrations();
    expect((await recorded('fresh')).map((r) => [r.filename, r.checksum])).toEqual(
      files.map((f) => [f.filename, f.checksum]),
    );
    expect((await migrate(server.urlFor('fresh'))).applied).toEqual([]);
    expect((await runInitdb('fresh')).stdout).not.toMatch(/applying/);
  });

  it('leaves a working audit trail', async () => {
    await queryDb(
      'fresh',
      `create table t (id int primary key); select audit.enable('t'); insert into t values (1); delete from t`,
    );
    await queryDb('fresh', 'select audit.ingest()');
    expect(await queryDb('fresh', 'select operation from audit.row_changes order by id')).toEqual([
      { operation: 'INSERT' },
      { operation: 'DELETE' },
    ]);
  });
});
