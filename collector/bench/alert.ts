/**
 * `npm run bench:alert`: how fast a wipe reaches Discord. Real PostgreSQL with
 * the audit schema, the collector's postgres_audit source with the Alertmanager
 * fast path, Debian's Alertmanager on the stack's config/alertmanager files
 * (Discord webhook lines pointed at a local stand-in), 20 wipes each by a
 * distinct user on a distinct table, timed from sending COMMIT to the stand-in
 * receiving the POST. Prints, as its last line:
 *   alert latency: p50 <ms> ms, p95 <ms> ms
 */
import pg from 'pg';
import { Registry } from 'prom-client';
import { migrate } from '@whodunit/sql';
import { repoPath, startAlertmanager, startPostgres } from '@whodunit/testkit';
import { silentLogger } from '../src/logger.js';
import { createPostgresAuditSource, postgresAuditConfigSchema } from '../src/sources/postgres_audit.js';
import { DiscordStandIn } from '../test/support/discord_stand_in.js';

const WIPES = Number(process.env.BENCH_WIPES ?? 20);

const discord = await DiscordStandIn.start();
const discordUrl = discord.url;

const alertmanager = await startAlertmanager({
  configFile: repoPath('config/alertmanager/alertmanager.yml'),
  replacements: Object.fromEntries(
    ['critical', 'security', 'database', 'performance'].map((channel) => [
      `webhook_url_file: /etc/alertmanager/secrets/discord-${channel}.url`,
      `webhook_url: '${discordUrl}/${channel}?wait=true'`,
    ]),
  ),
});
const server = await startPostgres({ init: async (url) => void (await migrate(url)) });
try {
  const tables = Array.from({ length: WIPES }, (_, i) => `public.t${i}`);
  for (const table of tables) {
    await server.query(`create table ${table} (id int primary key, v text)`);
    await server.query(`select audit.enable($1::regclass)`, [table]);
    await server.query(`insert into ${table} select g, 'v' from generate_series(1, 200) g`);
  }
  await server.query('create role collector login; grant whodunit_reader, whodunit_writer to collector');
  const source = await createPostgresAuditSource({
    config: postgresAuditConfigSchema.parse({
      url: server.urlFor('postgres', 'collector'),
      alertmanager: { urls: [alertmanager.url] },
    }),
    jobName: 'bench',
    logger: silentLogger,
    metrics: new Registry(),
  });
  void (async () => {
    for await (const batch of source.batches()) batch.ack();
  })();
  await source.listening();

  const app = new pg.Client({ connectionString: server.url });
  await app.connect();
  const latencies: number[] = [];
  for (let i = 0; i < WIPES; i++) {
    const id = `bench-wipe-${i}`;
    await app.query('begin');
    await app.query(`select audit.set_context($1, $2, $3, '203.0.113.7', 'bench', 'DELETE /purge')`, [
      `u${i}`,
      `user${i}`,
      id,
    ]);
    await app.query(`delete from ${tables[i]}`);
    const sent = performance.now();
    await app.query('commit');
    await discord.next((post) => new RegExp(`${id}\\b`).test(post.text));
    latencies.push(performance.now() - sent);
    process.stderr.write(`wipe ${i + 1}/${WIPES}: ${latencies.at(-1)!.toFixed(1)} ms\n`);
  }
  await app.end();
  await source.stop();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]!;
  console.log(`alert latency: p50 ${pct(50).toFixed(0)} ms, p95 ${pct(95).toFixed(0)} ms`);
} finally {
  await alertmanager.stop();
  await server.stop();
  await discord.stop();
}
