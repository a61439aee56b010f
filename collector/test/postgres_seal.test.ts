/**
 * The postgres_audit source seals the audit trail on a timer and ships every
 * seal as a `stream="db_seal"` entry, so the chain's hashes live outside the
 * database too: what Loki holds must equal what audit.seals says.
 */
import { migrate } from '@whodunit/sql';
import { startPostgres, type PostgresServer } from '@whodunit/testkit';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/logger.js';
import type { Entry } from '../src/pipeline/entry.js';
import { createPostgresAuditSource, postgresAuditConfigSchema } from '../src/sources/postgres_audit.js';

let pg: PostgresServer;

beforeAll(async () => {
  pg = await startPostgres({ init: async (url) => void (await migrate(url)) });
  await pg.query(`
    create table public.accounts (id int primary key, owner text);
    select audit.enable('public.accounts');
    create role collector login;
    grant whodunit_reader, whodunit_writer to collector;
  `);
}, 60_000);

afterAll(async () => {
  await pg?.stop();
});

describe('postgres_audit seal_interval', () => {
  it('ships each new seal with its hash, as audit.seals records it', async () => {
    const source = await createPostgresAuditSource({
      config: postgresAuditConfigSchema.parse({
        url: pg.urlFor('postgres', 'collector'),
        labels: { job: 'db' },
        seal_interval: '50ms',
      }),
      jobName: 'db',
      logger: silentLogger,
      metrics: new Registry(),
    });
    await source.listening();
    const seals: Entry[] = [];
    const reading = (async () => {
      for await (const batch of source.batches()) {
        seals.push(...batch.entries.filter((e) => e.labels.stream === 'db_seal'));
        batch.ack();
      }
    })();
    await pg.query(`insert into public.accounts select g, 'o' || g from generate_series(1, 20) g`);
    // Rows are sealed by the second seal() after their transaction commits.
    const deadline = Date.now() + 20_000;
    let sealedRows = 0;
    while (Date.now() < deadline) {
      const { rows } = await pg.query<{ n: string }>(
        'select coalesce(sum(row_count), 0) as n from audit.seals',
      );
      sealedRows = Number(rows[0]!.n);
      if (sealedRows >= 20 && seals.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await source.stop();
    await reading;

    expect(sealedRows).toBeGreaterThanOrEqual(20);
    const { rows: inDb } = await pg.query<{ seal_id: string; seal_hash: string }>(
      "select seal_id::text, encode(seal_hash, 'hex') as seal_hash from audit.seals order by seal_id",
    );
    const shipped = seals.map((e) => ({
      seal_id: e.structuredMetadata.seal_id,
      seal_hash: e.structuredMetadata.seal_hash,
    }));
    expect(shipped.length).toBeGreaterThan(0);
    for (const seal of shipped) expect(inDb).toContainEqual(seal);
    expect(seals[0]!.labels).toEqual({ job: 'db', stream: 'db_seal' });
  });
});
