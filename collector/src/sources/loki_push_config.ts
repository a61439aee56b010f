import { z } from 'zod';
import { labelSet } from '../config/fields.js';
import { serverSchema } from '../config/server.js';

/**
 * The `loki_push_api` scrape config: a Loki-compatible push receiver, so apps
 * that push to Loki (winston-loki, another Promtail, Grafana Agent) can push
 * through the collector and get its pipeline.
 *
 *   loki_push_api:
 *     server: { http_listen_address: 0.0.0.0, http_listen_port: 3500 }
 *     labels: { pushserver: push1 }
 *     use_incoming_timestamp: false   # true: keep the pushed timestamps
 *
 * Routes (as Promtail's push target):
 *   - `POST /loki/api/v1/push`: protobuf PushRequest in a snappy block, or JSON
 *     (`Content-Type: application/json`); `Content-Encoding: gzip` accepted.
 *     Each stream's labels, plus `labels`, go through relabel_configs, then
 *     labels starting with `__` are removed; structured metadata is kept.
 *     204 on success; 400 with the reason for a body that does not decode or
 *     a stream whose labels do not parse (the other streams are still taken,
 *     as Promtail does); 413 over the size limit; 429 while the queue is full.
 *   - `POST /promtail/api/v1/raw`: one entry per non-empty line (`\r\n` or `\n`),
 *     with just the configured `labels`.
 *   - `GET /ready`: 200 "ready".
 * Unlike Promtail, a stream dropped by relabelling skips only that stream
 * (Promtail answers 204 at once and silently drops the rest of the request).
 * Without use_incoming_timestamp entries get the receive time, strictly
 * increasing so Loki does not collapse equal lines.
 *
 * Built on node:http rather than a framework: three fixed routes, and the body
 * must be read with our own byte limit before decompression anyway.
 */
export const lokiPushConfigSchema = z.object({
  server: serverSchema.prefault({}),
  labels: labelSet().default({}),
  use_incoming_timestamp: z.boolean().default(false),
});

export type LokiPushConfig = z.output<typeof lokiPushConfigSchema>;
