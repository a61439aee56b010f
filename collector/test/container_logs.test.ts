/**
 * Container logs as users feed them: Docker JSON log files (docker stage) and
 * CRI files with partial lines (cri stage), through `--stdin --dry-run`, checked
 * entry by entry. The stage-level behaviours are in docker.cases.yaml and cri.cases.yaml.
 */
import { describe, expect, it } from 'vitest';
import { dryRunEntries, runCli, writeConfig } from './support/run_cli.js';

describe('container logs through --stdin --dry-run', () => {
  it('reads Docker JSON log lines: line, stream label, timestamp', async () => {
    const config = writeConfig(`
scrape_configs:
  - job_name: containers
    static_configs: [{ labels: { job: containers } }]
    pipeline_stages:
      - docker: {}
`);
    const input = [
      '{"log":"GET /healthz 200\\n","stream":"stdout","time":"2024-02-03T10:00:00.123456789Z"}',
      '{"log":"Traceback (most recent call last):\\n","stream":"stderr","time":"2024-02-03T10:00:01.5Z"}',
      'garbage that is not JSON',
    ].join('\n');
    const run = await runCli([`-config.file=${config}`, '--stdin', '--dry-run'], input);
    expect(run.code).toBe(0);
    const out = dryRunEntries(run.stdout);
    expect(out.map(({ ts, labels, line }) => ({ ts, labels, line }))).toEqual([
      {
        ts: '2024-02-03T10:00:00.123456789Z',
        labels: { job: 'containers', stream: 'stdout' },
        line: 'GET /healthz 200\n',
      },
      {
        ts: '2024-02-03T10:00:01.5Z',
        labels: { job: 'containers', stream: 'stderr' },
        line: 'Traceback (most recent call last):\n',
      },
      // Not JSON: passes unchanged; its label set never had a good time, so it keeps the read time.
      expect.objectContaining({ labels: { job: 'containers' }, line: 'garbage that is not JSON' }),
    ]);
  });

  it('joins CRI partial lines, per stream, and releases a partial line held at end of input', async () => {
    const config = writeConfig(`
scrape_configs:
  - job_name: kubernetes-pods
    static_configs: [{ labels: { job: kubernetes-pods, namespace: shop } }]
    pipeline_stages:
      - cri: {}
      - json: { expressions: { level: '' } }
      - labels: { level: '' }
`);
    const input = [
      '2024-02-03T10:00:00.000000001Z stdout P {"level":"info","msg":"a very long line that',
      '2024-02-03T10:00:00.000000002Z stderr F panic: boom',
      '2024-02-03T10:00:00.000000003Z stdout P  the runtime split',
      '2024-02-03T10:00:00.000000004Z stdout F  in three parts"}',
      '2024-02-03T10:00:01Z stdout P never finished',
    ].join('\n');
    const run = await runCli([`-config.file=${config}`, '--stdin', '--dry-run'], input);
    expect(run.code).toBe(0);
    const out = dryRunEntries(run.stdout);
    expect(out.map(({ ts, labels, line }) => ({ ts, labels, line }))).toEqual([
      {
        ts: '2024-02-03T10:00:00.000000002Z',
        labels: { job: 'kubernetes-pods', namespace: 'shop', stream: 'stderr' },
        line: 'panic: boom',
      },
      {
        ts: '2024-02-03T10:00:00.000000004Z',
        labels: { job: 'kubernetes-pods', namespace: 'shop', stream: 'stdout', level: 'info' },
        line: '{"level":"info","msg":"a very long line that the runtime split in three parts"}',
      },
      {
        ts: '2024-02-03T10:00:01Z',
        labels: { job: 'kubernetes-pods', namespace: 'shop', stream: 'stdout' },
        line: 'never finished',
      },
    ]);
  });
});
