import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The folder holding `NNN_name.sql`, shipped with the package (sql/migrations), from src/ or dist/src/. */
export const migrationsDir = fileURLToPath(
  new URL(import.meta.url.includes('/dist/src/') ? '../../migrations/' : '../migrations/', import.meta.url),
);

/** The exact pattern docker/initdb.sh accepts too: keep the two in step. */
const MIGRATION_NAME = /^[0-9]{3}_[a-z0-9_]+\.sql$/;

export interface Migration {
  /** File name, e.g. `001_audit_schema.sql`; also the key in audit.schema_migrations. */
  readonly filename: string;
  readonly sql: string;
  /** sha256 of the file's bytes, hex (what `sha256sum` prints). */
  readonly checksum: string;
}

export function checksumOf(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Reads every migration in name order; files not named NNN_name.sql are ignored. */
export async function readMigrations(dir: string = migrationsDir): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((name) => MIGRATION_NAME.test(name)).sort();
  return Promise.all(
    names.map(async (filename) => {
      const bytes = await readFile(join(dir, filename));
      return { filename, sql: bytes.toString('utf8'), checksum: checksumOf(bytes) };
    }),
  );
}
