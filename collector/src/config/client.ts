import { z } from 'zod';
import { duration, labelSet, secret, secretUrl, unsupported } from './fields.js';

/** `tls_config`, Prometheus common's TLSConfig keys. */
export const tlsConfigSchema = z.object({
  ca: z.string().optional(),
  ca_file: z.string().optional(),
  cert: z.string().optional(),
  cert_file: z.string().optional(),
  key: secret().optional(),
  key_file: z.string().optional(),
  server_name: z.string().optional(),
  insecure_skip_verify: z.boolean().default(false),
  min_version: z.string().optional(),
  max_version: z.string().optional(),
  ca_ref: unsupported(),
  cert_ref: unsupported(),
  key_ref: unsupported(),
});

const basicAuthSchema = z.object({
  username: z.string().optional(),
  username_file: z.string().optional(),
  password: secret().optional(),
  password_file: z.string().optional(),
  username_ref: unsupported(),
  password_ref: unsupported(),
});

const authorizationSchema = z.object({
  type: z.string().default('Bearer'),
  credentials: secret().optional(),
  credentials_file: z.string().optional(),
  credentials_ref: unsupported(),
});

/**
 * One entry of `clients`: where and how to ship (Collector II does the
 * shipping; this validates). Defaults are Promtail's: batchwait 1s, batchsize
 * 1 MiB, timeout 10s, backoff 500ms..5m with 10 retries. Cross-field rules are
 * Prometheus' HTTP client rules: one auth method, one of value or file.
 */
export const clientConfigSchema = z
  .object({
    url: secretUrl(),
    tenant_id: z.string().optional(),
    batchwait: duration('1s'),
    batchsize: z.number().int().positive().default(1_048_576),
    timeout: duration('10s'),
    backoff_config: z
      .object({
        min_period: duration('500ms'),
        max_period: duration('5m'),
        max_retries: z.number().int().min(0).default(10),
      })
      .prefault({}),
    external_labels: labelSet().default({}),
    headers: z.record(z.string(), z.string()).default({}),
    basic_auth: basicAuthSchema.optional(),
    authorization: authorizationSchema.optional(),
    bearer_token: secret().optional(),
    bearer_token_file: z.string().optional(),
    tls_config: tlsConfigSchema.optional(),
    proxy_url: secretUrl().optional(),
    no_proxy: z.string().optional(),
    proxy_from_environment: z.boolean().optional(),
    proxy_connect_header: unsupported(),
    follow_redirects: z.boolean().default(true),
    enable_http2: z.boolean().default(true),
    drop_rate_limited_batches: z.boolean().default(false),
    oauth2: unsupported(),
    stream_lag_labels: unsupported(),
  })
  .superRefine((client, ctx) => {
    const issue = (path: string[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const methods = [
      client.basic_auth && 'basic_auth',
      client.authorization && 'authorization',
      client.bearer_token && 'bearer_token',
      client.bearer_token_file && 'bearer_token_file',
    ].filter((m): m is string => typeof m === 'string');
    if (methods.length > 1) {
      issue(
        [methods[1] as string],
        `at most one of basic_auth, authorization, bearer_token & bearer_token_file must be configured (found ${methods.join(' and ')})`,
      );
    }
    if (client.basic_auth?.password && client.basic_auth.password_file) {
      issue(
        ['basic_auth', 'password_file'],
        'at most one of basic_auth password & password_file must be configured',
      );
    }
    if (client.basic_auth?.username && client.basic_auth.username_file) {
      issue(
        ['basic_auth', 'username_file'],
        'at most one of basic_auth username & username_file must be configured',
      );
    }
    if (client.authorization?.credentials && client.authorization.credentials_file) {
      issue(
        ['authorization', 'credentials_file'],
        'at most one of authorization credentials & credentials_file must be configured',
      );
    }
    const { min_period, max_period } = client.backoff_config;
    if (min_period !== undefined && max_period !== undefined && min_period > max_period) {
      issue(['backoff_config', 'min_period'], 'min_period must not be longer than max_period');
    }
  });

export type ClientConfig = z.output<typeof clientConfigSchema>;
