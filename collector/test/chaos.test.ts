import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, open, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@whodunit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLokiReceiver, type LokiReceiver } from './support/loki_receiver/index.js';

/**
 * The chaos test: a writer appends unique numbered lines at 5,000
 * lines/s for 20 s; the file is rotated twice (rename + create, the old file
 * still written for 200 ms after the rename); the collector is SIGKILLed and
 * restarted; the receiver is down for 10 s. Afterwards every line is in the
 * receiver exactly once. Lines carry their own timestamp (json + timestamp
 * stages), as real logs do, so a line read twice after the crash is the same
 * (timestamp, line) that Loki collapses.
 */
const RATE = 5000;
const SECONDS = 20;
const TICK_MS = 20;
const TOTAL = RATE * SECONDS;

let dir: string;
let loki: LokiReceiver;
const children: ChildProcess[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whodunit-chaos-'));
  loki = await startLokiReceiver({ authEnabled: false });
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await loki.stop();
  if (!process.env.KEEP_CHAOS) await rm(dir, { recursive: true, force: true });
  else console.log('chaos dir', dir);
});

const at = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The real collector command line, with the chaos settings in a Promtail-style config. */
async function startCollector(): Promise<ChildProcess> {
  const port = await freePort();
  const configFile = join(dir, 'collector.yaml');
  await writeFile(
    configFile,
    `server: { http_listen_address: 127.0.0.1, http_listen_port: ${port} }
positions: { filename: ${join(dir, 'positions.yaml')}, sync_period: 200ms, ignore_invalid_yaml: true }
global: { file_watch_config: { min_poll_frequency: 50ms, max_poll_frequency: 50ms } }
spool: { directory: ${join(dir, 'spool')}, fsync_interval: 10ms }
clients:
  - url: ${loki.pushUrl}
    batchwait: 100ms
    backoff_config: { min_period: 100ms, max_period: 1s, max_retries: 0 }
scrape_configs:
  - job_name: chaos
    static_configs: [{ labels: { job: chaos, __path__: ${join(dir, 'app.log')} } }]
    pipeline_stages:
      - json: { expressions: { ts: ts } }
      - timestamp: { source: ts, format: UnixNs }
`,
  );
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(import.meta.dirname, '../src/cli.ts'),
      `-config.file=${configFile}`,
      '-log.level=error',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  children.push(child);
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  for (;;) {
    if (exited !== undefined) throw new Error(`collector exited early (${exited})`);
    const ok = await fetch(`http://127.0.0.1:${port}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    await at(50);
  }
}

const base = BigInt(Date.now()) * 1_000_000n;
const lineOf = (n: number) => JSON.stringify({ ts: String(base + BigInt(n)), n, msg: `chaos line ${n}` });

describe('chaos: rotation, SIGKILL and a Loki outage', () => {
  it('delivers every line exactly once', async () => {
    let collector = await startCollector();
    const path = join(dir, 'app.log');
    let file: FileHandle = await open(path, 'a');
    let written = 0;
    const started = Date.now();
    const events: Promise<unknown>[] = [];

    const rotate = async (suffix: string) => {
      await rename(path, `${path}.${suffix}`);
      const old = file;
      const next = await open(path, 'a');
      await at(200); // the old file is still written for a moment after the rename
      file = next;
      await at(100);
      await old.close();
    };
    // The restart takes seconds (a cold Node + tsx start); the second rotation waits
    // for it, because a rename-rotation while no collector runs is a known limit of
    // Promtail-style positions (the renamed file leaves the glob unread).
    let restarted: Promise<unknown> = Promise.resolve();
    const schedule = [
      { atMs: 4_000, run: () => rotate('1') },
      {
        atMs: 7_000,
        run: () => {
          collector.kill('SIGKILL');
          restarted = startCollector().then((child) => (collector = child));
          return restarted;
        },
      },
      { atMs: 9_000, run: () => loki.down() },
      { atMs: 13_000, run: () => restarted.then(() => at(1_000)).then(() => rotate('2')) },
      { atMs: 19_000, run: () => loki.up() },
    ];
    while (written < TOTAL) {
      const elapsed = Date.now() - started;
      while (schedule.length > 0 && schedule[0]!.atMs <= elapsed) events.push(schedule.shift()!.run());
      const due = Math.min(TOTAL, Math.floor((elapsed / 1000) * RATE) + RATE / (1000 / TICK_MS));
      let chunk = '';
      for (; written < due; written++) chunk += lineOf(written) + '\n';
      if (chunk) await file.write(chunk);
      await at(TICK_MS);
    }
    await Promise.all(events);
    // Bounded so a failure reports what is missing instead of timing out.
    await Promise.race([loki.waitForCount(TOTAL), at(25_000)]);
    collector.kill('SIGTERM');
    await file.close();

    const lines = loki.lines();
    const seen = new Set(lines.map((line) => (JSON.parse(line) as { n: number }).n));
    const missing: string[] = [];
    for (let n = 0; n < TOTAL; n++) {
      if (seen.has(n)) continue;
      let end = n;
      while (end + 1 < TOTAL && !seen.has(end + 1)) end++;
      missing.push(end === n ? `${n}` : `${n}-${end}`);
      n = end;
    }
    expect({ stored: lines.length, missing }).toEqual({ stored: TOTAL, missing: [] });
  }, 58_000);
});
