/**
 * Secrets (client passwords, bearer tokens, credentials in URLs) never show in
 * diagnostics, logs, or the config printed any way JavaScript prints things.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../src/config/diagnostics.js';
import { loadConfigText } from '../src/config/load.js';
import { createLogger } from '../src/logger.js';
import { Secret } from '../src/secret.js';

const SECRETS = [
  'hunter2-url-pass',
  's3cr3t-basic',
  'tok-bearer-123',
  'cr3d-authz',
  'k3y-tls-pem',
  'proxy-pa55',
];

const validWithSecrets = `
clients:
  - url: https://promtail:hunter2-url-pass@loki.example.com/loki/api/v1/push
    basic_auth: { username: promtail, password: s3cr3t-basic }
    tls_config: { key: k3y-tls-pem }
    proxy_url: http://me:proxy-pa55@proxy:3128
  - url: http://loki:3100/loki/api/v1/push
    bearer_token: tok-bearer-123
  - url: http://loki:3100/loki/api/v1/push
    authorization: { type: Bearer, credentials: cr3d-authz }
`;

// Every client here is wrong in some way next to its secret.
const brokenWithSecrets = `
clients:
  - url: https://promtail:hunter2-url-pass@loki.example.com/loki/api/v1/push
    basic_auth: { username: promtail, password: s3cr3t-basic, password_file: /x, pasword: s3cr3t-basic }
    bearer_token: tok-bearer-123
    tls_config: { key: k3y-tls-pem, insecure: true }
    proxy_url: 42
  - url: 12
    bearer_token: [tok-bearer-123]
    authorization: { credentials: cr3d-authz, credentials_file: /y }
  - bearer_token: tok-bearer-123
    batchwait: forever
`;

const leaks = (text: string) => SECRETS.filter((s) => text.includes(s));

describe('secrets', () => {
  it('are not quoted in any diagnostic of a broken config', () => {
    const { diagnostics } = loadConfigText(brokenWithSecrets, { displayName: 'c.yaml' });
    expect(diagnostics.filter((d) => d.severity === 'error').length).toBeGreaterThan(4);
    expect(leaks(diagnostics.map(formatDiagnostic).join('\n'))).toEqual([]);
  });

  it('print as <secret> in the loaded config, however it is printed', () => {
    const { config, diagnostics } = loadConfigText(validWithSecrets);
    expect(diagnostics).toEqual([]);
    const printed = [
      JSON.stringify(config),
      inspect(config, { depth: 10 }),
      String(config?.clients[0]?.url),
    ].join('\n');
    expect(leaks(printed)).toEqual([]);
    expect(String(config?.clients[0]?.url)).toBe(
      'https://promtail:<secret>@loki.example.com/loki/api/v1/push',
    );
    // ...while the sender can still read them.
    expect(config?.clients[0]?.basic_auth?.password?.reveal()).toBe('s3cr3t-basic');
    expect(config?.clients[1]?.bearer_token?.reveal()).toBe('tok-bearer-123');
  });

  it('print as <secret> in the collector logs', () => {
    const lines: string[] = [];
    const logger = createLogger({ write: (l) => lines.push(l) }).child({
      client: new Secret('tok-bearer-123'),
    });
    const { config } = loadConfigText(validWithSecrets);
    logger.info('client configured', { url: config?.clients[0]?.url, auth: config?.clients[0]?.basic_auth });
    logger.error('push failed', { error: new Error(`to ${String(config?.clients[0]?.url)}`) });
    expect(lines.length).toBe(2);
    expect(leaks(lines.join('\n'))).toEqual([]);
    expect(lines[0]).toContain('<secret>');
  });
});
