// npm run bench:forensics [-- --rows 1000000 --calls 200]
// Fills the trail with about --rows row changes made through the real capture and audit.ingest()
// (requests of many users: inserts, one-row updates, and now and then a 200-row delete), then
// measures the p95
// latency of each forensic function over --calls random calls. The answer size stays the same
// whatever --rows is (users scale with the data), so growth from 1M to 10M rows shows whether a
// question is an index probe or a scan.
import pg from 'pg';
import { startPostgres } from '@whodunit/testkit';
import { migrate } from '../src/migrate.js';
import { parseArgs } from './args.js';

const options = parseArgs(process.argv.slice(2), { rows: 1_000_000, calls: 200 });
const ROWS_PER_TX = 11; // 10 inserted + 1 updated
const TX_PER_USER = 20;

// One request per transaction, as an app does; a procedure so that it can COMMIT in its loop.
const GENERATOR = `
create procedure bench_requests(first_tx bigint, last_tx bigint, users bigint)
language plpgsql as $$
declare
  u bigint;
begin
  for i in first_tx .. last_tx loop
    u := i % users;
    perform audit.set_context('u' || u, 'user' || u, 'req-' || i, ('10.' || (u % 250) || '.0.1')::inet, 'bench', 'POST /items');
    insert into items select i * 10 + g, 'user' || u, 0 from generate_series(0, 9) g;
    update items set n = n + 1 where id = i * 10;
    if i % 500 = 0 and i > 1000 then
      delete from items where id >= (i - 1000) * 10 and id < (i - 1000) * 10 + 200;
    end if;
    commit;
  end loop;
end $$`;

const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.ceil(xs.length * 0.95) - 1] ?? NaN;
const random = (n: number) => Math.floor(Math.random() * n);

async function timeCalls(
  client: pg.Client,
  calls: number,
  query: () => [string, unknown[]],
): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const [sql, params] = query();
    const start = performance.now();
    await client.query(sql, params);
    times.push(performance.now() - start);
  }
  return p95(times);
}

async function main(): Promise<void> {
  const server = await startPostgres({
    init: async (url) => void (await migrate(url)),
    settings: { shared_buffers: '512MB', max_wal_size: '8GB', checkpoint_timeout: '30min' },
  });
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    const transactions = Math.ceil(options.rows / ROWS_PER_TX);
    const users = Math.max(1, Math.floor(transactions / TX_PER_USER));
    await client.query(
      `create table items (id bigint primary key, owner text, n int); select audit.enable('items')`,
    );
    await client.query(GENERATOR);
    const fillStart = performance.now();
    const chunk = 20_000;
    for (let first = 1; first <= transactions; first += chunk) {
      await client.query('call bench_requests($1, $2, $3)', [
        first,
        Math.min(first + chunk - 1, transactions),
        users,
      ]);
      // What the collector does continuously: the captured requests become audit rows.
      while (Number((await client.query<{ n: string }>('select audit.ingest(50000) as n')).rows[0]!.n) > 0);
    }
    await client.query('analyze');
    const fillSeconds = (performance.now() - fillStart) / 1000;
    // Rows of one-row statements are stored inline in audit.statements (migration 010).
    const stored = (
      await client.query(`select (select count(*) from audit.changed_rows)
                               + (select count(*) from audit.statements where row_key is not null) as n`)
    ).rows[0].n;
    const size = (
      await client.query(`select pg_size_pretty(sum(pg_total_relation_size(c.oid))) as s from pg_class c
                                      where c.relnamespace = 'audit'::regnamespace and c.relkind in ('r', 'i')`)
    ).rows[0].s;
    console.log(
      `filled ${stored} row changes (${transactions} requests, ${users} users) in ${fillSeconds.toFixed(0)} s; audit schema ${size}`,
    );
    // Every forensic call ingests first, decoding from the capture slot's restart point, which
    // PostgreSQL 15 moves at its next running-transactions snapshot (every 15 s): right after the
    // fill, each call would decode the fill's last seconds of WAL again (PostgreSQL 16+ moves it at
    // each ingest). Measured as an investigation meets the trail: after that snapshot.
    const settle = Number(process.env.BENCH_SETTLE_S ?? 16);
    await new Promise((resolve) => setTimeout(resolve, settle * 1000));
    await client.query('select audit.ingest()');
    // BENCH_FRESHNESS=2s: as in the compose stack, whose collector ingests every 250 ms.
    if (process.env.BENCH_FRESHNESS) {
      await client.query('update audit.settings set forensic_freshness = $1::interval', [
        process.env.BENCH_FRESHNESS,
      ]);
      console.log(`forensic_freshness ${process.env.BENCH_FRESHNESS}`);
    }

    // mass_deletes looks back to the 20th newest mass delete: the same answer size at any --rows.
    const since = (
      await client.query(`select occurred_at from audit.statements where operation = 'DELETE' and rows >= 100
                          order by occurred_at desc offset 19 limit 1`)
    ).rows[0]?.occurred_at;
    const calls = options.calls;
    const whoChanged = await timeCalls(client, calls, () => [
      `select * from audit.who_changed('public.items', $1)`,
      [String(random(transactions) * 10)],
    ]);
    const userActivity = await timeCalls(client, calls, () => [
      `select * from audit.user_activity($1, null, null)`,
      [`user${random(users)}`],
    ]);
    const massDeletes = await timeCalls(client, calls, () => [
      `select * from audit.mass_deletes($1, 100)`,
      [since],
    ]);
    const timeline = await timeCalls(client, calls, () => [
      `select * from audit.timeline($1)`,
      [`req-${1 + random(transactions)}`],
    ]);
    const ms = (x: number) => x.toFixed(2);
    console.log(`p95 user_activity ${ms(userActivity)} ms (${TX_PER_USER} requests per user)`);
    console.log(
      `forensics at ${stored} rows: p95 who_changed ${ms(whoChanged)} ms, timeline ${ms(timeline)} ms, mass_deletes ${ms(massDeletes)} ms`,
    );
  } finally {
    await client.end();
    await server.stop();
  }
}

await main();
