/**
 * A DB wipe in Discord with WHO inside: real PostgreSQL with the audit schema,
 * the collector's postgres_audit source with the Alertmanager fast path, and
 * Debian's Alertmanager started from the stack's own config/alertmanager files
 * (only the Discord webhook lines rewritten to a local stand-in, since 0.25 has
 * no webhook_url_file). The stand-in refuses the first post with 429 and a
 * retry_after, as Discord does under rate limiting: the message still arrives.
 */
import { createServer, type Server } from 'node:http';
import { migrate } from '@whodunit/sql';
import {
  repoPath,
  startAlertmanager,
  startPostgres,
  type AlertmanagerServer,
  type PostgresServer,
} from '@whodunit/testkit';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/logger.js';
import {
  createPostgresAuditSource,
  postgresAuditConfigSchema,
  type PostgresAuditSource,
} from '../src/sources/postgres_audit.js';

interface DiscordPost {
  path: string;
  text: string;
  at: number;
}

const posts: DiscordPost[] = [];
let refusals = 0;
let wake: () => void = () => undefined;
let discord: Server;
let discordUrl: string;
let pg: PostgresServer;
let alertmanager: AlertmanagerServer;
let source: PostgresAuditSource;

beforeAll(async () => {
  discord = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (refusals === 0) {
        refusals++;
        res.writeHead(429, { 'content-type': 'application/json' }).end('{"retry_after":0.2,"global":false}');
        return;
      }
      posts.push({ path: new URL(req.url ?? '/', 'http://x').pathname, text: body, at: Date.now() });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"1"}');
      wake();
    });
  });
  await new Promise<void>((resolve) => discord.listen(0, '127.0.0.1', resolve));
  discordUrl = `http://127.0.0.1:${(discord.address() as { port: number }).port}`;
  const replacements = Object.fromEntries(
    ['critical', 'security', 'database', 'performance'].map((channel) => [
      `webhook_url_file: /etc/alertmanager/secrets/discord-${channel}.url`,
      `webhook_url: '${discordUrl}/${channel}?wait=true'`,
    ]),
  );
  alertmanager = await startAlertmanager({
    configFile: repoPath('config/alertmanager/alertmanager.yml'),
    replacements,
  });
  pg = await startPostgres({ init: async (url) => void (await migrate(url)) });
  await pg.query(`
    create table public.games (id int primary key, title text);
    select audit.enable('public.games');
    create role collector login;
    grant whodunit_reader to collector;
  `);
  source = await createPostgresAuditSource({
    config: postgresAuditConfigSchema.parse({
      url: pg.urlFor('postgres', 'collector'),
      alertmanager: { urls: [alertmanager.url] },
    }),
    jobName: 'db',
    logger: silentLogger,
    metrics: new Registry(),
  });
  void (async () => {
    for await (const batch of source.batches()) batch.ack();
  })();
  await source.listening();
}, 60_000);

afterAll(async () => {
  await source?.stop();
  await alertmanager?.stop();
  await pg?.stop();
  discord?.close();
});

async function request(user: string, correlationId: string, end: 'commit' | 'rollback'): Promise<number> {
  await pg.query(
    `insert into public.games select g, 'g' || g from generate_series(1, 500) g on conflict do nothing`,
  );
  const sent = Date.now();
  await pg.query(
    `begin;
     select audit.set_context('u-${user}', '${user}', '${correlationId}', '198.51.100.23', 'Mozilla/5.0', 'POST /admin/purge');
     delete from public.games;
     ${end};`,
  );
  return sent;
}

describe('a wipe reaches Discord with who, what, where and which request', () => {
  it('names mallory, the table, 500 rows, her IP and the correlation id; a rollback sends nothing', async () => {
    await request('bob', 'req-bob-rolled-back', 'rollback');
    const sent = await request('mallory', 'req-mallory-purge', 'commit');
    while (!posts.some((p) => p.text.includes('req-mallory-purge')))
      await new Promise<void>((resolve) => (wake = resolve));
    const message = posts.find((p) => p.text.includes('req-mallory-purge'))!;
    console.log(`wipe to Discord stand-in: ${message.at - sent} ms (after one 429), ${refusals} refusal`);
    expect(refusals).toBe(1);
    expect(message.path).toBe('/critical');
    for (const expected of ['mallory', 'public.games', '500', '198.51.100.23', 'req-mallory-purge']) {
      expect(message.text).toContain(expected);
    }
    expect(posts.filter((p) => p.text.includes('req-mallory-purge'))).toHaveLength(1);
    expect(posts.some((p) => p.text.includes('req-bob-rolled-back'))).toBe(false);
  });

  it('delivers the next wipe at once (no refusal this time)', async () => {
    const sent = await request('trent', 'req-trent-purge', 'commit');
    while (!posts.some((p) => p.text.includes('req-trent-purge')))
      await new Promise<void>((resolve) => (wake = resolve));
    const message = posts.find((p) => p.text.includes('req-trent-purge'))!;
    console.log(`wipe to Discord stand-in: ${message.at - sent} ms`);
    expect(message.path).toBe('/critical');
    expect(message.text).toContain('trent');
  });
});
