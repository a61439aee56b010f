/** The HTTP server on a real port 0 with real fetch: /metrics, /ready, /health, 404. */
import { Counter, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../src/api/server.js';
import { silentLogger } from '../src/logger.js';

describe('api server', () => {
  const metrics = new Registry();
  let ready = false;
  let server: ApiServer;
  let base: string;

  beforeAll(async () => {
    new Counter({ name: 'test_lines_total', help: 'lines', registers: [metrics] }).inc(3);
    server = await startApiServer({
      address: '127.0.0.1',
      port: 0,
      metrics,
      ready: () => ready,
      logger: silentLogger,
    });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(() => server.close());

  it('serves the registry in Prometheus text format on /metrics', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('test_lines_total 3');
  });

  it('answers /ready with 503 until the targets run, then 200', async () => {
    const before = await fetch(`${base}/ready`);
    expect(before.status).toBe(503);
    expect(await before.text()).toContain('not ready');
    ready = true;
    expect((await fetch(`${base}/ready`)).status).toBe(200);
  });

  it('answers /health with 200 and unknown paths with 404', async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(404);
  });
});

describe('api server with a path prefix', () => {
  it('serves under server.http_path_prefix', async () => {
    const server = await startApiServer({
      address: '127.0.0.1',
      port: 0,
      pathPrefix: '/collector/',
      metrics: new Registry(),
      ready: () => true,
      logger: silentLogger,
    });
    try {
      expect((await fetch(`http://127.0.0.1:${server.port}/collector/ready`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
