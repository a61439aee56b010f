/**
 * The agent end to end through the real command line: a file target from a
 * Promtail config, tailed with --dry-run, the HTTP server on a free port, and
 * a clean stop on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const collectorDir = new URL('../', import.meta.url).pathname;

/** Resolves when `check` passes on the text collected so far (event-driven, no polling sleep). */
function waitFor(
  stream: NodeJS.ReadableStream,
  check: (text: string) => boolean,
  what: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got:\n${text}`)), 30_000);
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (check(text)) {
        clearTimeout(timer);
        stream.off('data', onData);
        resolve(text);
      }
    };
    stream.on('data', onData);
  });
}

describe('agent with a file target', () => {
  it('tails the files of a static_configs glob, serves /ready and /metrics, and stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'whodunit-agent-'));
    const log = join(dir, 'app.log');
    writeFileSync(log, 'level=info msg=first\nlevel=debug msg=noise\n');
    const config = join(dir, 'promtail.yaml');
    writeFileSync(
      config,
      `server: { http_listen_address: 127.0.0.1, http_listen_port: 0 }
positions: { filename: ${join(dir, 'positions.yaml')} }
target_config: { sync_period: 1s }
scrape_configs:
  - job_name: app
    static_configs:
      - targets: [localhost]
        labels: { job: app, __path__: ${dir}/*.log }
    pipeline_stages:
      - drop: { expression: 'level=debug' }
      - static_labels: { env: test }
`,
    );
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', `-config.file=${config}`, '--dry-run'],
      {
        cwd: collectorDir,
      },
    );
    try {
      const listening = await waitFor(child.stderr, (t) => t.includes('http server listening'), 'the server');
      const port = (
        JSON.parse(listening.split('\n').find((l) => l.includes('listening')) ?? '{}') as { port: number }
      ).port;

      const first = await waitFor(child.stdout, (t) => t.includes('msg=first'), 'the first line');
      appendFileSync(log, 'level=info msg=second\n');
      const more = await waitFor(child.stdout, (t) => t.includes('msg=second'), 'the appended line');
      const entries = (first + more)
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { labels: Record<string, string>; line: string });
      expect(entries.map((e) => e.line)).toEqual(['level=info msg=first', 'level=info msg=second']);
      expect(entries[0]?.labels).toEqual({ job: 'app', env: 'test', filename: log });

      expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain('logentry_dropped_lines_total{reason="drop_stage"} 1');
      expect(metrics).toContain('process_cpu_seconds_total');
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
  });
});
