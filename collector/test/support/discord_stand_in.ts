/**
 * A local HTTP server standing in for Discord's webhooks, for tests that run
 * Alertmanager's `discord_configs` against it. Each POST is answered as a
 * webhook URL with `?wait=true` answers: 200 with the message as JSON. Under
 * `rateLimitNext`, it answers as Discord's rate limiter does instead: 429 with a
 * `Retry-After` header and `{"retry_after": <seconds>, "global": false}`.
 *
 *   const discord = await DiscordStandIn.start();
 *   // webhook_url: `${discord.url}/critical?wait=true`
 *   discord.rateLimitNext(1, 0.2);
 *   const post = await discord.next((p) => p.channel === 'critical' && p.text.includes('mallory'));
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DiscordEmbed {
  title: string;
  description: string;
}

export interface DiscordPost {
  /** The webhook path without its leading slash: `critical` for `/critical?wait=true`. */
  channel: string;
  /** The `wait` query parameter (`true` when the URL asks Discord to report errors). */
  wait: string | null;
  embeds: DiscordEmbed[];
  /** The raw JSON body, for substring checks across every field. */
  text: string;
  /** When it arrived (Date.now()). */
  at: number;
}

export class DiscordStandIn {
  /** Posts answered 200, oldest first. */
  readonly posts: DiscordPost[] = [];
  /** Posts answered 429 (under rateLimitNext), oldest first. */
  readonly refused: DiscordPost[] = [];
  #rateLimited = 0;
  #retryAfterSeconds = 0.2;
  #waiters: (() => void)[] = [];

  private constructor(readonly server: Server) {}

  static async start(): Promise<DiscordStandIn> {
    const server = createServer();
    const standIn = new DiscordStandIn(server);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => standIn.#answer(req.url ?? '/', Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return standIn;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Answers the next `times` posts with 429 and `retry_after` (seconds), as Discord's rate limiter. */
  rateLimitNext(times = 1, retryAfterSeconds = 0.2): void {
    this.#rateLimited = times;
    this.#retryAfterSeconds = retryAfterSeconds;
  }

  /** Resolves with the first post that matches, waiting for it up to `timeoutMs`. */
  async next(match: (post: DiscordPost) => boolean, timeoutMs = 30_000): Promise<DiscordPost> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.posts.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) {
        const seen = this.posts.map((p) => `${p.channel}: ${p.embeds[0]?.title ?? p.text.slice(0, 80)}`);
        throw new Error(
          `no matching Discord post within ${timeoutMs} ms; got:\n${seen.join('\n') || '(none)'}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  #answer(path: string, text: string, res: ServerResponse): void {
    const url = new URL(path, 'http://stand-in');
    let embeds: DiscordEmbed[] = [];
    try {
      embeds = (JSON.parse(text) as { embeds?: DiscordEmbed[] }).embeds ?? [];
    } catch {
      // not JSON: kept as text only
    }
    const post: DiscordPost = {
      channel: url.pathname.replace(/^\//, ''),
      wait: url.searchParams.get('wait'),
      embeds,
      text,
      at: Date.now(),
    };
    if (this.#rateLimited > 0) {
      this.#rateLimited--;
      this.refused.push(post);
      const retryAfter = this.#retryAfterSeconds;
      res
        .writeHead(429, { 'content-type': 'application/json', 'retry-after': String(Math.ceil(retryAfter)) })
        .end(
          JSON.stringify({ message: 'You are being rate limited.', retry_after: retryAfter, global: false }),
        );
      return;
    }
    this.posts.push(post);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"1"}');
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
