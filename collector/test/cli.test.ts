/**
 * The real command line, spawned as users run it (through tsx, from source):
 * flags in Go's and GNU's forms, --check-config on fixtures, and
 * --stdin --dry-run with realistic input checked line by line.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli as cli, dryRunEntries as jsonLines, writeConfig as configFile } from './support/run_cli.js';

const collectorDir = new URL('../', import.meta.url).pathname;
const fixture = (name: string) => join(collectorDir, 'test/fixtures/config', name);

describe('whodunit-collector command line', () => {
  it('prints its version and help, and rejects unknown flags with exit 2', async () => {
    const [version, help, unknown] = await Promise.all([
      cli(['--version']),
      cli(['-help']),
      cli(['-config.flie=x']),
    ]);
    expect(version).toMatchObject({ code: 0 });
    expect(version.stdout).toMatch(/^whodunit-collector 0\.1\.0 /);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('-config.expand-env=true');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--config.flie'");
  });

  it('checks a config in Go flag form and GNU form alike: every problem, exit 1', async () => {
    const go = await cli([`-config.file=${fixture('wrong_types.yaml')}`, '-check-config=true']);
    const gnu = await cli(['--config.file', fixture('wrong_types.yaml'), '--check-config']);
    expect(go.code).toBe(1);
    expect(go.stdout).toBe(gnu.stdout);
    expect(go.stdout.split('\n')).toEqual([
      'wrong_types.yaml:2:21 server.http_listen_port: expected a number (got "nine thousand")',
      'wrong_types.yaml:3:14 server.log_level: must be one of: debug, info, warn, error (got "verbose")',
      'wrong_types.yaml:5:5 clients[0].url: missing required key',
      'wrong_types.yaml:6:17 scrape_configs: expected a list',
      'config has 4 error(s) and 0 warning(s)',
      '',
    ]);
  });

  it('exits 0 on a config with only warnings, and 0 on a clean one', async () => {
    const [warned, clean] = await Promise.all([
      cli([`-config.file=${fixture('unknown_stage_option.yaml')}`, '--check-config']),
      cli([`-config.file=${fixture('valid_full.yaml')}`, '--check-config']),
    ]);
    expect(warned.code).toBe(0);
    expect(warned.stdout).toContain(
      'drop.expresion: warning: unknown key "expresion" (did you mean "expression"?)',
    );
    expect(warned.stdout).toContain('config OK (1 warning(s))');
    expect(clean).toMatchObject({ code: 0, stdout: 'config OK (0 warning(s))\n' });
  });

  it('says which file is missing', async () => {
    const run = await cli(['-config.file=/nonexistent/promtail.yaml', '--check-config']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('promtail.yaml:0:0 file does not exist');
  });

  it('expands ${VAR} and ${VAR:-default} only with -config.expand-env=true', async () => {
    const file = configFile(
      'scrape_configs:\n  - job_name: app\n    static_configs:\n      - labels: { env: "${ENV}", team: "${TEAM:-core}" }\n',
    );
    const [expanded, literal] = await Promise.all([
      cli([`-config.file=${file}`, '-config.expand-env=true', '--stdin', '--dry-run'], 'x\n', {
        ENV: 'prod',
      }),
      cli([`-config.file=${file}`, '--stdin', '--dry-run'], 'x\n', { ENV: 'prod' }),
    ]);
    expect(jsonLines(expanded.stdout)[0]?.labels).toEqual({ env: 'prod', team: 'core' });
    expect(jsonLines(literal.stdout)[0]?.labels).toEqual({ env: '${ENV}', team: '${TEAM:-core}' });
  });

  it('parses RFC 5424 syslog lines from a file: app and host labels, the message as the line', async () => {
    const file = configFile(`
scrape_configs:
  - job_name: syslog-file
    static_configs: [{ labels: { job: syslog, __path__: /var/log/remote/*.log } }]
    pipeline_stages:
      - regex:
          expression: '^<(?P<pri>\\d{1,3})>1 (?P<ts>\\S+) (?P<host>\\S+) (?P<app>\\S+) (?P<procid>\\S+) (?P<msgid>\\S+) (?P<sd>-|(?:\\[.*?\\])+) ?(?P<msg>.*)$'
      - labels: { app: "", host: "" }
      - timestamp: { source: ts, format: RFC3339Nano }
      - structured_metadata: { msgid: "" }
      - output: { source: msg }
`);
    const input = [
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] An application event log entry',
      "<34>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 su 8710 - - 'su root' failed for lonvick on /dev/pts/8",
    ].join('\n');
    const run = await cli([`-config.file=${file}`, '--stdin', '--dry-run'], input + '\n');
    expect(run.code).toBe(0);
    const out = jsonLines(run.stdout);
    expect(
      out.map(({ ts, labels, line, structured_metadata }) => ({ ts, labels, line, structured_metadata })),
    ).toEqual([
      {
        ts: '2003-10-11T22:14:15.003Z',
        labels: { job: 'syslog', app: 'evntslog', host: 'mymachine.example.com' },
        line: 'An application event log entry',
        structured_metadata: { msgid: 'ID47' },
      },
      {
        ts: '2003-08-24T12:14:15.000003Z',
        labels: { job: 'syslog', app: 'su', host: '192.0.2.1' },
        line: "'su root' failed for lonvick on /dev/pts/8",
        structured_metadata: { msgid: '-' },
      },
    ]);
  });

  it('runs nginx access logs through the first scrape config with --stdin --dry-run', async () => {
    const file = configFile(`
scrape_configs:
  - job_name: nginx
    static_configs:
      - targets: [localhost]
        labels: { job: nginx, __path__: /var/log/nginx/access.log }
    pipeline_stages:
      - regex:
          expression: '^(?P<remote_addr>\\S+) \\S+ \\S+ \\[(?P<time_local>[^\\]]+)\\] "(?P<method>\\S+) (?P<path>\\S+) \\S+" (?P<status>\\d{3}) (?P<bytes>\\d+)'
      - labels: { method: "", status: "" }
      - timestamp:
          source: time_local
          format: '02/Jan/2006:15:04:05 -0700'
      - match:
          selector: '{job="nginx"} |= "/healthz"'
          action: drop
          drop_counter_reason: healthcheck
      - structured_metadata: { remote_addr: "" }
  - job_name: ignored-for-stdin
`);
    const input = [
      '203.0.113.7 - - [10/Oct/2023:13:55:36 +0000] "GET /api/users HTTP/1.1" 200 512 "-" "curl/8.0"',
      '203.0.113.9 - - [10/Oct/2023:13:55:37 +0200] "POST /login HTTP/1.1" 401 18 "-" "Mozilla/5.0"',
      '10.0.0.1 - - [10/Oct/2023:13:55:38 +0000] "GET /healthz HTTP/1.1" 200 2 "-" "kube-probe/1.29"',
      'not an access log line',
    ].join('\n');
    const run = await cli([`-config.file=${file}`, '--stdin', '--dry-run'], input + '\n');
    expect(run.code).toBe(0);
    const out = jsonLines(run.stdout);
    expect(out).toHaveLength(3);
    expect(out[0]).toEqual({
      ts: '2023-10-10T13:55:36Z',
      labels: { job: 'nginx', method: 'GET', status: '200' },
      line: input.split('\n')[0],
      structured_metadata: { remote_addr: '203.0.113.7' },
      extracted: {
        job: 'nginx',
        remote_addr: '203.0.113.7',
        time_local: '10/Oct/2023:13:55:36 +0000',
        method: 'GET',
        path: '/api/users',
        status: '200',
        bytes: '512',
      },
    });
    expect(out[1]).toMatchObject({
      ts: '2023-10-10T11:55:37Z',
      labels: { job: 'nginx', method: 'POST', status: '401' },
    });
    // The line that does not parse passes unchanged, with the read time.
    expect(out[2]).toMatchObject({
      labels: { job: 'nginx' },
      line: 'not an access log line',
      structured_metadata: {},
    });
  });

  it('flushes held work at end of input: a Java stack trace through multiline', async () => {
    const file = configFile(`
scrape_configs:
  - job_name: java
    static_configs: [{ labels: { job: java } }]
    pipeline_stages:
      - multiline: { firstline: '^\\d{4}-\\d{2}-\\d{2} ', max_wait_time: 10s }
`);
    const input = [
      '2024-03-01 12:00:00 ERROR Request failed',
      'java.lang.IllegalStateException: boom',
      '\tat com.example.Service.handle(Service.java:42)',
      '\tat com.example.Main.main(Main.java:7)',
      '2024-03-01 12:00:01 INFO recovered',
    ].join('\n');
    const run = await cli([`-config.file=${file}`, '--stdin', '--dry-run'], input);
    expect(run.code).toBe(0);
    expect(jsonLines(run.stdout).map((e) => e.line)).toEqual([
      input.split('\n').slice(0, 4).join('\n'),
      '2024-03-01 12:00:01 INFO recovered',
    ]);
  });

  it('reads jsonl entries, replays its own output, and reports bad lines on stderr', async () => {
    const input = [
      JSON.stringify({
        ts: '2024-01-02T03:04:05.123456789Z',
        labels: { app: 'a' },
        line: 'first\nsecond line',
      }),
      '{not json',
      JSON.stringify({ line: 'no ts', structured_metadata: { trace_id: 't1' } }),
      JSON.stringify({ ts: 'yesterday', line: 'bad ts' }),
    ].join('\n');
    const first = await cli(['--stdin', '--stdin.format=jsonl', '--dry-run'], input + '\n');
    expect(first.code).toBe(0);
    const out = jsonLines(first.stdout);
    expect(out.map((e) => [e.ts, e.labels, e.line, e.structured_metadata])).toEqual([
      ['2024-01-02T03:04:05.123456789Z', { job: 'stdin', app: 'a' }, 'first\nsecond line', {}],
      [out[1]?.ts, { job: 'stdin' }, 'no ts', { trace_id: 't1' }],
    ]);
    const problems = jsonLines(first.stderr).filter((l) => l.level === 'warn');
    expect(problems.map((p) => p.line_number)).toEqual([2, 4]);

    const replay = await cli(['--stdin', '--stdin.format=jsonl', '--dry-run'], first.stdout);
    expect(replay.stdout).toBe(first.stdout);
  });

  it('prints nothing for dropped entries and still exits 0', async () => {
    const file = configFile(`
scrape_configs:
  - job_name: a
    pipeline_stages:
      - drop: { expression: 'DEBUG' }
`);
    const run = await cli([`-config.file=${file}`, '--stdin', '--dry-run'], 'DEBUG x\nINFO y\nDEBUG z\n');
    expect(run.code).toBe(0);
    expect(jsonLines(run.stdout).map((e) => e.line)).toEqual(['INFO y']);
  });

  it('refuses to start on config errors, logging them as JSON on stderr without secrets', async () => {
    const file = configFile(`
clients:
  - url: http://bob:pa55w0rd-xyz@loki:3100/loki/api/v1/push
    bearer_token: tok-xyz-789
    basic_auth: { username: bob, password: pa55w0rd-xyz }
scrape_configs:
  - job_name: a
    pipeline_stages: [{ drop: { expresion: x } }]
`);
    const run = await cli([`-config.file=${file}`, '--stdin', '--dry-run'], 'x\n');
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const logs = jsonLines(run.stderr);
    expect(logs.map((l) => l.level)).toEqual(['error', 'error', 'warn']);
    expect(run.stderr).not.toMatch(/pa55w0rd-xyz|tok-xyz-789/);
  });
});
