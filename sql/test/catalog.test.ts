// The documented API is the catalog: every object carries a COMMENT, and sql/API.md is exactly
// what the catalog generates (regenerate with `npm run -w sql api-doc`).
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startPostgres, type PostgresServer } from '@whodunit/testkit';
import { migrate } from '@whodunit/sql';
import { readCatalog, type CatalogObject } from '../src/catalog.js';
import { apiDocPath, renderApiDoc } from '../src/api_doc.js';

let server: PostgresServer;
let catalog: CatalogObject[];

beforeAll(async () => {
  server = await startPostgres({ init: async (url) => void (await migrate(url)) });
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    catalog = await readCatalog(client);
  } finally {
    await client.end();
  }
});

afterAll(async () => {
  await server?.stop();
});

describe('schema audit documentation', () => {
  it('has a COMMENT on every table, view, sequence, column and function', () => {
    const missing = catalog.filter((o) => !o.comment?.trim()).map((o) => `${o.kind} ${o.name}`);
    expect(missing).toEqual([]);
  });

  it('publishes the API the issue names', () => {
    const publicFunctions = catalog
      .filter((o) => o.kind === 'function' && o.roles.length > 0)
      .map((o) => o.name);
    expect(publicFunctions).toEqual(
      expect.arrayContaining([
        'audit.enable(target regclass)',
        'audit.disable(target regclass)',
        'audit.enable_schema(name text)',
        'audit.tracked_tables()',
        'audit.set_context(user_id text, username text, correlation_id text, client_ip inet, user_agent text, request text)',
        'audit.set_sensitive(target regclass, columns text[])',
        'audit.who_changed("table" regclass, pk text)',
        'audit.who_changed(table_name text, pk text)',
        'audit.user_activity(username text, since timestamp with time zone, until timestamp with time zone)',
        'audit.mass_deletes(since timestamp with time zone, min_rows integer)',
        'audit.timeline(correlation_id text)',
        'audit.verify_chain("from" timestamp with time zone, "to" timestamp with time zone)',
        'audit.seal()',
        'audit.maintain()',
        'audit.apply_retention()',
      ]),
    );
  });

  it('pins search_path to nothing in every security definer function', async () => {
    const loose = await server.query(`select p.oid::regprocedure::text as fn from pg_proc p
                                      where p.pronamespace = 'audit'::regnamespace and p.prosecdef
                                        and not coalesce(p.proconfig @> array['search_path=""'], false)`);
    expect(loose.rows).toEqual([]);
  });

  it('matches sql/API.md (run `npm run -w sql api-doc` after changing a migration)', async () => {
    const onDisk = await readFile(apiDocPath, 'utf8').catch(() => '');
    expect(onDisk).toBe(renderApiDoc(catalog));
  });
});
