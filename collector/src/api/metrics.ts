import type { ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

/** GET /metrics: the registry in Prometheus text format. */
export async function serveMetrics(registry: Registry, res: ServerResponse): Promise<void> {
  const body = await registry.metrics();
  res.writeHead(200, { 'content-type': registry.contentType });
  res.end(body);
}
