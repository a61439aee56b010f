import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { findPostgresBinDir } from './binaries.js';
import { assertPortFree, freePort } from './ports.js';
import { startProcess, type ServiceProcess } from './processes.js';

const run = promisify(execFile);

export interface PostgresOptions {
  /** Fixed port; a free one is chosen when absent. */
  port?: number;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string | number>;
  /** Called with the superuser URL once the server accepts connections (e.g. migrations). */
  init?: (url: string) => Promise<void>;
  /** Keep fsync on (benchmarks that measure durability). Off by default: tests do not need it. */
  durable?: boolean;
}

export interface PostgresServer {
  /** Superuser connection URL, `postgres://postgres@127.0.0.1:<port>/postgres`. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly binDir: string;
  readonly process: ServiceProcess;
  /** URL for another database or user on the same server. */
  urlFor(database: string, user?: string, password?: string): string;
  /** Runs one statement as superuser. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
  stop(): Promise<void>;
}

interface RunAs {
  uid?: number;
  gid?: number;
}

/** PostgreSQL refuses to run as root, so as root we hand the data dir to `postgres`. */
async function postgresUser(): Promise<RunAs> {
  if (process.getuid?.() !== 0) return {};
  try {
    const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
      run('id', ['-u', 'postgres']),
      run('id', ['-g', 'postgres']),
    ]);
    return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
  } catch (cause) {
    throw new Error(
      'PostgreSQL cannot run as root and there is no "postgres" user: install the Debian package postgresql, ' +
        'or run the tests as an ordinary user',
      { cause },
    );
  }
}

async function waitForConnection(url: string, proc: ServiceProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void proc.exited.then(() => (exited = true));
  for (;;) {
    if (exited) {
      throw new Error(`PostgreSQL exited during start-up:\n${await proc.logTail()}`);
    }
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) {
        throw new Error(
          `PostgreSQL did not accept connections within ${timeoutMs} ms:\n${await proc.logTail()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Starts a throw-away PostgreSQL server in a temporary directory on 127.0.0.1. */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const binDir = findPostgresBinDir();
  const runAs = await postgresUser();
  const dataDir = await mkdtemp(join(tmpdir(), 'whodunit-pg-'));
  if (runAs.uid !== undefined) await chown(dataDir, runAs.uid, runAs.gid ?? runAs.uid);
  const pgdata = join(dataDir, 'data');

  try {
    await run(
      join(binDir, 'initdb'),
      ['-D', pgdata, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
      { ...runAs, cwd: dataDir },
    );
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${(error as { stderr?: string }).stderr ?? String(error)}`, {
      cause: error,
    });
  }

  const port = options.port ?? (await freePort());
  if (options.port !== undefined) await assertPortFree(port, 'PostgreSQL');
  const settings: Record<string, string | number> = {
    listen_addresses: '127.0.0.1',
    port,
    unix_socket_directories: dataDir,
    max_connections: 100,
    // The audit trail is captured from the WAL (sql/migrations/011): logical decoding must be on,
    // and commits must reach the WAL at once (synchronous_commit) so that audit.ingest() sees a
    // transaction as soon as it has committed. fsync off keeps that cheap.
    wal_level: 'logical',
    max_replication_slots: 20,
    ...(options.durable ? {} : { fsync: 'off', full_page_writes: 'off' }),
    ...options.settings,
  };
  const args = ['-D', pgdata, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  const proc = startProcess('postgres', join(binDir, 'postgres'), args, join(dataDir, 'postgres.log'), {
    ...runAs,
    cwd: dataDir,
  });

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const stop = async () => {
    await proc.stop('SIGINT'); // "fast" shutdown: rolls back open transactions, no wait for clients
    await rm(dataDir, { recursive: true, force: true });
  };

  try {
    await waitForConnection(url, proc, 30_000);
    if (options.init) await options.init(url);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    url,
    port,
    dataDir,
    binDir,
    process: proc,
    urlFor(database, user = 'postgres', password) {
      const auth =
        password === undefined
          ? encodeURIComponent(user)
          : `${encodeURIComponent(user)}:${encodeURIComponent(password)}`;
      return `postgres://${auth}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
    },
    async query(text, values) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return await client.query(text, values);
      } finally {
        await client.end();
      }
    },
    stop,
  };
}
