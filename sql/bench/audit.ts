// npm run bench:audit [-- --seconds 10 --rounds 3 --clients 4 --scale 10]
// pgbench tpcb-like on two databases of one server: `plain` (no auditing) and `audited` (all four
// pgbench tables audited, every transaction sets an audit context), runs interleaved so both see
// the same machine state. While the audited side runs, audit.ingest() runs beside it as the
// collector runs it (at once while there is a backlog, else every 250 ms), so its cost is in the
// figure. Then a 100,000-row DELETE on each (rolled back), and the time audit.ingest() takes for
// one that commits. Prints the ratios.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { startPostgres } from '@whodunit/testkit';
import { migrate } from '../src/migrate.js';
import { parseArgs } from './args.js';

const run = promisify(execFile);
const options = parseArgs(process.argv.slice(2), {
  seconds: 10,
  rounds: 3,
  clients: 4,
  scale: 10,
  durable: 0,
});

// The builtin tpcb-like script, plus the one call an audited app adds per transaction.
const AUDITED_SCRIPT = `\\set aid random(1, 100000 * :scale)
\\set bid random(1, 1 * :scale)
\\set tid random(1, 10 * :scale)
\\set delta random(-5000, 5000)
BEGIN;
SELECT audit.set_context('u' || :aid, 'user' || :tid, 'req-' || :aid, '10.0.0.1', 'pgbench', 'POST /transfer');
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid;
UPDATE pgbench_branches SET bbalance = bbalance + :delta WHERE bid = :bid;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);
END;
`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const server = await startPostgres({
    durable: options.durable === 1,
    settings: { shared_buffers: '256MB', max_wal_size: '4GB', checkpoint_timeout: '30min' },
  });
  const work = await mkdtemp(join(tmpdir(), 'whodunit-bench-'));
  try {
    const pgbench = join(server.binDir, 'pgbench');
    const scriptFile = join(work, 'audited.sql');
    await writeFile(scriptFile, AUDITED_SCRIPT);
    const conn = (db: string) => ['-h', '127.0.0.1', '-p', String(server.port), '-U', 'postgres', db];

    for (const db of ['plain', 'audited']) {
      await server.query(`create database ${db}`);
      await run(pgbench, ['-i', '-q', '-s', String(options.scale), ...conn(db)]);
    }
    await migrate(server.urlFor('audited'));
    const audited = new pg.Client({ connectionString: server.urlFor('audited') });
    const plain = new pg.Client({ connectionString: server.urlFor('plain') });
    await Promise.all([audited.connect(), plain.connect()]);
    await audited.query(
      `select audit.enable(t) from unnest(array['pgbench_accounts', 'pgbench_branches', 'pgbench_tellers', 'pgbench_history']::regclass[]) t`,
    );
    console.log(
      `durable=${options.durable === 1} scale=${options.scale} clients=${options.clients} ${options.rounds} x ${options.seconds}s per side`,
    );

    // audited: with audit.ingest() running beside it, as in production (its cost is in the
    // figure); deferred: the same with ingest paused, the cost the audited transactions
    // themselves pay (their latency), the backlog being ingested before the next round.
    const tps = { plain: [] as number[], audited: [] as number[], deferred: [] as number[] };
    const ingester = new pg.Client({ connectionString: server.urlFor('audited') });
    await ingester.connect();
    let ingested = 0;
    for (let round = 1; round <= options.rounds; round++) {
      for (const side of ['plain', 'audited', 'deferred'] as const) {
        if (side !== 'audited') ingested += await drain(ingester); // each side starts with nothing left to ingest
        const loop = side === 'audited' ? ingestWhileRunning(ingester, (n) => (ingested += n)) : undefined;
        const script =
          side === 'plain' ? ['-b', 'tpcb-like'] : ['-f', scriptFile, '-D', `scale=${options.scale}`];
        const { stdout } = await run(pgbench, [
          ...script,
          '-c',
          String(options.clients),
          '-j',
          '2',
          '-T',
          String(options.seconds),
          '-n',
          ...conn(side === 'plain' ? 'plain' : 'audited'),
        ]);
        await loop?.stop();
        const value = Number(/tps = ([0-9.]+)/.exec(stdout)?.[1]);
        tps[side].push(value);
        console.log(`round ${round} ${side.padEnd(7)} tps ${value.toFixed(0)}`);
      }
    }

    // Bulk: DELETE 100,000 accounts in one statement, rolled back so every repetition sees the same table.
    const bulk = { plain: [] as number[], audited: [] as number[] };
    for (let round = 1; round <= options.rounds; round++) {
      for (const [side, client] of [
        ['plain', plain],
        ['audited', audited],
      ] as const) {
        await client.query('begin');
        if (side === 'audited')
          await client.query(
            `select audit.set_context('u1', 'mallory', 'req-bulk', '10.0.0.9', 'bench', 'DELETE /accounts')`,
          );
        const start = performance.now();
        await client.query('delete from pgbench_accounts where aid <= 100000');
        const ms = performance.now() - start;
        await client.query('rollback');
        bulk[side].push(ms);
        console.log(`round ${round} ${side.padEnd(7)} bulk delete 100k ${ms.toFixed(0)} ms`);
      }
    }
    // A wipe that commits: the time from COMMIT until audit.ingest() has written its 100,000 rows
    // (what a mass-delete alert waits for, besides the collector's poll).
    const backlog = await drain(ingester);
    await audited.query('begin');
    await audited.query(
      `select audit.set_context('u1', 'mallory', 'req-wipe', '10.0.0.9', 'bench', 'DELETE /accounts')`,
    );
    await audited.query('delete from pgbench_accounts where aid <= 100000');
    await audited.query('commit');
    const wipeStart = performance.now();
    const wipeRows = await drain(ingester);
    const wipeMs = performance.now() - wipeStart;
    console.log(
      `ingest: ${ingested + backlog} audit rows beside the audited runs (${backlog} left at the end); ` +
        `a committed 100k-row DELETE ingested (${wipeRows} rows) in ${wipeMs.toFixed(0)} ms`,
    );
    await Promise.all([audited.end(), plain.end(), ingester.end()]);

    const r = median(tps.audited) / median(tps.plain);
    console.log(
      `median tps: plain ${median(tps.plain).toFixed(0)}, audited ${median(tps.audited).toFixed(0)}, ` +
        `audited with ingest deferred ${median(tps.deferred).toFixed(0)} (ratio ${(median(tps.deferred) / median(tps.plain)).toFixed(2)})`,
    );
    const b = median(bulk.audited) / median(bulk.plain);
    console.log(
      `median bulk delete: plain ${median(bulk.plain).toFixed(0)} ms, audited ${median(bulk.audited).toFixed(0)} ms`,
    );
    console.log(`audit overhead: tps ratio ${r.toFixed(2)}, bulk delete 100k ratio ${b.toFixed(2)}`);
  } finally {
    await server.stop();
    await rm(work, { recursive: true, force: true });
  }
}

/** Calls audit.ingest() until it finds nothing; returns the rows written. */
async function drain(client: pg.Client): Promise<number> {
  let total = 0;
  for (;;) {
    const { rows } = await client.query<{ n: string }>('select audit.ingest(20000) as n');
    const n = Number(rows[0]!.n);
    if (n === 0) return total;
    total += n;
  }
}

/**
 * The collector's ingest loop (collector/src/sources/postgres_ingest.ts), reduced: every 250 ms,
 * or four times as long as the last call took, at once while a call fills its batch.
 */
function ingestWhileRunning(client: pg.Client, count: (rows: number) => void): { stop(): Promise<void> } {
  let stopped = false;
  const running = (async () => {
    while (!stopped) {
      const started = performance.now();
      const { rows } = await client.query<{ n: string }>('select audit.ingest(20000) as n');
      const n = Number(rows[0]!.n);
      count(n);
      if (n < 20000) {
        const wait = Math.max(250, 4 * (performance.now() - started));
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      await running;
    },
  };
}

await main();
