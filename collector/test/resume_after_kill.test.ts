import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@whodunit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLokiReceiver, type LokiReceiver } from './support/loki_receiver/index.js';

/**
 * Issue 6: after `kill -9`, no line is read twice. Entries here are
 * timestamped at read time (no timestamp stage), so a line read again would be
 * a new (timestamp, line) that Loki stores a second time. The positions file
 * is never written while the collector runs (sync_period 1h): only the
 * positions the spool keeps with its records can say where to resume.
 */
const TOTAL = 30_000;
const PER_TICK = 200;
const TICK_MS = 20;
const KILL_AFTER = 5_000;

let dir: string;
let loki: LokiReceiver;
const children: ChildProcess[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whodunit-resume-'));
  loki = await startLokiReceiver({ authEnabled: false });
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await loki.stop();
  await rm(dir, { recursive: true, force: true });
});

const at = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startCollector(): Promise<ChildProcess> {
  const port = await freePort();
  const configFile = join(dir, 'collector.yaml');
  await writeFile(
    configFile,
    `server: { http_listen_address: 127.0.0.1, http_listen_port: ${port} }
positions: { filename: ${join(dir, 'positions.yaml')}, sync_period: 1h }
global: { file_watch_config: { min_poll_frequency: 50ms, max_poll_frequency: 50ms } }
spool: { directory: ${join(dir, 'spool')}, fsync_interval: 10ms }
clients:
  - url: ${loki.pushUrl}
    batchwait: 100ms
scrape_configs:
  - job_name: resume
    static_configs: [{ labels: { job: resume, __path__: ${join(dir, 'app.log')} } }]
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

describe('resuming after kill -9', () => {
  it('reads no line twice: lines timestamped at read time reach Loki exactly once', async () => {
    const path = join(dir, 'app.log');
    await writeFile(path, '');
    let collector = await startCollector();

    // A writer that keeps appending through the kill and the restart.
    let written = 0;
    const writer = (async () => {
      while (written < TOTAL) {
        let chunk = '';
        for (const end = Math.min(TOTAL, written + PER_TICK); written < end; written++)
          chunk += `resume line ${written}\n`;
        await appendFile(path, chunk);
        await at(TICK_MS);
      }
    })();

    await loki.waitForCount(KILL_AFTER);
    collector.kill('SIGKILL');
    await new Promise((resolve) => collector.once('exit', resolve));
    const receivedAtKill = loki.count();
    // What makes a re-read possible: nothing was ever saved to the positions file.
    const positionsFileAtKill = existsSync(join(dir, 'positions.yaml'));
    collector = await startCollector();
    await writer;

    // Bounded so a failure reports what is missing instead of timing out.
    await Promise.race([loki.waitForCount(TOTAL), at(30_000)]);
    collector.kill('SIGTERM');
    await new Promise((resolve) => collector.once('exit', resolve));

    const lines = loki.lines();
    const times = new Map<string, number>();
    for (const line of lines) times.set(line, (times.get(line) ?? 0) + 1);
    const twice = [...times].filter(([, n]) => n > 1).length;
    let missing = 0;
    for (let n = 0; n < TOTAL; n++) if (!times.has(`resume line ${n}`)) missing++;
    console.log(
      `resume after kill -9: ${receivedAtKill} entries received before the kill, ${lines.length} stored of ${TOTAL}, ${twice} lines twice, ${missing} missing`,
    );
    expect({ positionsFileAtKill, killedMidStream: receivedAtKill < TOTAL }).toEqual({
      positionsFileAtKill: false,
      killedMidStream: true,
    });
    expect({ stored: lines.length, twice, missing }).toEqual({ stored: TOTAL, twice: 0, missing: 0 });
  }, 60_000);
});
