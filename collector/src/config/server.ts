import { z } from 'zod';
import { duration, unsupported } from './fields.js';

/**
 * `server`: the collector's own HTTP server (/metrics, /ready, /health, push
 * receivers that share it). Promtail embeds dskit's server config; every key it
 * knows is accepted here so existing configs load, and the ones we do not use
 * are listed in UNUSED_SERVER_KEYS (a warning says they are ignored).
 */
export const serverSchema = z.object({
  /** Turns the HTTP server off entirely (Promtail's `disable`). */
  disable: z.boolean().default(false),
  http_listen_address: z.string().default('0.0.0.0'),
  /** Promtail's flag default is 80; every Promtail example uses 9080, and so do we. */
  http_listen_port: z.number().int().min(0).max(65535).default(9080),
  http_path_prefix: z.string().default(''),
  log_level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  log_format: z.enum(['logfmt', 'json']).default('logfmt'),
  graceful_shutdown_timeout: duration('30s'),
  grpc_listen_address: z.string().optional(),
  grpc_listen_port: z.number().int().min(0).max(65535).optional(),
  register_instrumentation: z.boolean().default(true),
  health_check_target: z.boolean().optional(),
  profiling_enabled: z.boolean().optional(),
  enable_runtime_reload: z.boolean().optional(),
  http_listen_network: unsupported(),
  http_listen_conn_limit: unsupported(),
  grpc_listen_network: unsupported(),
  grpc_listen_conn_limit: unsupported(),
  tls_cipher_suites: unsupported(),
  tls_min_version: unsupported(),
  http_tls_config: unsupported(),
  grpc_tls_config: unsupported(),
  http_server_read_timeout: unsupported(),
  http_server_read_header_timeout: unsupported(),
  http_server_write_timeout: unsupported(),
  http_server_idle_timeout: unsupported(),
  http_log_closed_connections_without_response_enabled: unsupported(),
  grpc_server_max_recv_msg_size: unsupported(),
  grpc_server_max_send_msg_size: unsupported(),
  grpc_server_max_concurrent_streams: unsupported(),
  grpc_server_max_connection_idle: unsupported(),
  grpc_server_max_connection_age: unsupported(),
  grpc_server_max_connection_age_grace: unsupported(),
  grpc_server_keepalive_time: unsupported(),
  grpc_server_keepalive_timeout: unsupported(),
  grpc_server_min_time_between_pings: unsupported(),
  grpc_server_ping_without_stream_allowed: unsupported(),
  grpc_server_num_workers: unsupported(),
  log_source_ips_enabled: unsupported(),
  log_source_ips_header: unsupported(),
  log_source_ips_regex: unsupported(),
  log_request_headers: unsupported(),
  log_request_at_info_level_enabled: unsupported(),
  log_request_exclude_headers_list: unsupported(),
});

export type ServerConfig = z.output<typeof serverSchema>;
