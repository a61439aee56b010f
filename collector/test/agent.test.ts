/** startAgent in-process: the stdin path into a captured stream, and a daemon with no sources. */
import { PassThrough, Readable } from 'node:stream';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { startAgent } from '../src/agent.js';
import { loadConfigText } from '../src/config/load.js';
import { silentLogger } from '../src/logger.js';

function config(yaml: string) {
  const { config, diagnostics } = loadConfigText(yaml);
  if (!config) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  return config;
}

async function collect(stream: PassThrough): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

describe('agent', () => {
  it('reads stdin as the first scrape config and ends at end of input', async () => {
    const output = new PassThrough();
    const agent = await startAgent({
      config: config(`
scrape_configs:
  - job_name: first
    static_configs: [{ labels: { job: first, __path__: /x } }, { labels: { team: core } }]
    pipeline_stages: [{ static_labels: { seen: 'yes' } }]
  - job_name: second
    static_configs: [{ labels: { job: second } }]
`),
      logger: silentLogger,
      metrics: new Registry(),
      clock: { now: () => 1_000_000_000n },
      output,
      stdin: { input: Readable.from(['one\ntwo\r\n']), format: 'raw' },
    });
    expect(agent.port).toBeUndefined();
    await agent.done;
    output.end();
    const lines = (await collect(output)).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      {
        ts: '1970-01-01T00:00:01Z',
        labels: { job: 'first', team: 'core', seen: 'yes' },
        line: 'one',
        structured_metadata: {},
        extracted: { job: 'first', team: 'core' },
      },
      {
        ts: '1970-01-01T00:00:01Z',
        labels: { job: 'first', team: 'core', seen: 'yes' },
        line: 'two',
        structured_metadata: {},
        extracted: { job: 'first', team: 'core' },
      },
    ]);
  });

  it('keeps serving with no source until stopped', async () => {
    const agent = await startAgent({
      config: config('server: { http_listen_address: 127.0.0.1, http_listen_port: 0 }'),
      logger: silentLogger,
      metrics: new Registry(),
      output: new PassThrough(),
    });
    let finished = false;
    void agent.done.then(() => (finished = true));
    const ready = await fetch(`http://127.0.0.1:${agent.port}/ready`);
    expect(ready.status).toBe(200);
    expect(finished).toBe(false);
    await agent.stop();
    expect(finished).toBe(true);
  });
});
