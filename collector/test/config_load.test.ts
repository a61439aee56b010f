import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../src/config/diagnostics.js';
import { parseDuration } from '../src/config/duration.js';
import { expandEnv } from '../src/config/envsubst.js';
import { loadConfigText } from '../src/config/load.js';

describe('durations', () => {
  it.each([
    ['5s', 5000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
    ['0', 0],
    ['2d', 172_800_000],
    ['100us', 0.1],
  ])('reads %s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['5', '5 s', 's', '', '1x', '5s3'])('rejects %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});

describe('expand-env', () => {
  const env = { HOST: 'loki', EMPTY: '', PORT: '3100' };
  it.each([
    ['url: http://${HOST}:${PORT}', 'url: http://loki:3100'],
    ['a: ${MISSING}', 'a: '],
    ['a: ${MISSING:-fallback}', 'a: fallback'],
    ['a: ${EMPTY:-fallback}', 'a: fallback'],
    ['a: ${MISSING=fallback}', 'a: fallback'],
    ['a: ${MISSING:-${HOST}-x}', 'a: loki-x'],
    ['a: ${HOST:+set}/${MISSING:+set}', 'a: set/'],
    ['a: $${HOST} $HOST', 'a: ${HOST} $HOST'],
    ['re: "\\\\d+\\/x"', 're: "\\d+/x"'],
    // Promtail (drone/envsubst) reads "-" as part of the name: no default here.
    ['a: ${HOST-default}', 'a: '],
  ])('expands %s', (input, output) => expect(expandEnv(input, env)).toBe(output));

  it('reports an unclosed substitution at its line', () => {
    const { diagnostics } = loadConfigText('server:\n  log_level: ${LEVEL\n', {
      expandEnv: true,
      env: {},
      displayName: 'p.yaml',
    });
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      'p.yaml:2:14 bad substitution: missing "}" after "${LEVEL"',
    ]);
  });

  it('substitutes before parsing, so values are typed after expansion', () => {
    const { config } = loadConfigText('server:\n  http_listen_port: ${PORT}\n', {
      expandEnv: true,
      env: { PORT: '3101' },
    });
    expect(config?.server.http_listen_port).toBe(3101);
  });

  it('leaves ${...} alone without the flag', () => {
    const { config } = loadConfigText('clients:\n  - url: http://loki/${X}\n', { env: { X: 'y' } });
    expect(config?.clients[0]?.url.reveal()).toBe('http://loki/${X}');
  });
});

describe('loading', () => {
  it('fills Promtail defaults for an empty file', () => {
    const { config, diagnostics } = loadConfigText('');
    expect(diagnostics).toEqual([]);
    expect(config?.server.http_listen_port).toBe(9080);
    expect(config?.positions).toEqual({
      filename: '/var/log/positions.yaml',
      sync_period: 10_000,
      ignore_invalid_yaml: false,
    });
    expect(config?.limits_config.readline_rate_drop).toBe(true);
  });

  it('applies client defaults and merges the deprecated single client', () => {
    const { config } = loadConfigText(
      'client: { url: "http://a/x" }\nclients: [{ url: "http://b/x", batchwait: 2s }]\n',
    );
    expect(config?.clients.map((c) => c.url.reveal())).toEqual(['http://a/x', 'http://b/x']);
    expect(config?.clients[1]).toMatchObject({ batchwait: 2000, batchsize: 1_048_576, timeout: 10_000 });
    expect(config?.clients[0]?.backoff_config).toEqual({
      min_period: 500,
      max_period: 300_000,
      max_retries: 10,
    });
  });

  it('reports every problem in one pass, in file order', () => {
    const { diagnostics } = loadConfigText(
      'server: { http_listen_prot: 1 }\npositions: { sync_period: x }\nscrape_configs:\n  - job_name: a\n    pipeline_stages: [{ nope: {} }]\n',
      { displayName: 'p.yaml' },
    );
    expect(diagnostics.map((d) => `${d.line}:${d.col} ${d.path}`)).toEqual([
      '1:11 server.http_listen_prot',
      '2:27 positions.sync_period',
      '5:25 scrape_configs[0].pipeline_stages[0].nope',
    ]);
  });

  it('accepts YAML anchors and merge keys, as Go does', () => {
    const { config, diagnostics } = loadConfigText(
      'x-defaults: &defaults\n  batchwait: 2s\n  timeout: 3s\nclients:\n  - <<: *defaults\n    url: http://a/x\n',
    );
    // The anchor holder itself is an unknown top-level key, as it would be for Promtail.
    expect(diagnostics.map((d) => d.path)).toEqual(['x-defaults']);
    expect(config).toBeUndefined();
    const ok = loadConfigText(
      'clients:\n  - &c { url: http://a/x, batchwait: 2s }\n  - <<: *c\n    url: http://b/x\n',
    );
    expect(ok.diagnostics).toEqual([]);
    expect(ok.config?.clients.map((c) => [c.url.reveal(), c.batchwait])).toEqual([
      ['http://a/x', 2000],
      ['http://b/x', 2000],
    ]);
  });

  it('rejects a key given twice in one map', () => {
    const { diagnostics } = loadConfigText('server:\n  http_listen_port: 1\n  http_listen_port: 2\n');
    expect(diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`)).toEqual([
      '3:3 Map keys must be unique',
    ]);
  });

  it('freezes the config it hands out', () => {
    const { config } = loadConfigText('scrape_configs: [{ job_name: a }]');
    expect(Object.isFrozen(config?.scrape_configs[0])).toBe(true);
  });
});
