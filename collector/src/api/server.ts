import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../log.js';
import { serveHealth, serveReady } from './health.js';
import { serveMetrics } from './metrics.js';

export interface ApiServerOptions {
  /** `server.http_listen_address`. */
  address: string;
  /** `server.http_listen_port`; 0 picks a free port (tests). */
  port: number;
  /** `server.http_path_prefix`, e.g. `/collector`. */
  pathPrefix?: string;
  metrics: Registry;
  ready: () => boolean;
  logger: Logger;
}

export interface ApiServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Extra routes (push receivers) that share the server: return true when handled. */
export type Route = (req: IncomingMessage, res: ServerResponse, path: string) => boolean;

/**
 * The collector's HTTP server: /metrics, /ready, /health (and any routes
 * added by receivers). Unknown paths get 404; only GET/HEAD on the built-ins.
 */
export async function startApiServer(options: ApiServerOptions, routes: Route[] = []): Promise<ApiServer> {
  const prefix = (options.pathPrefix ?? '').replace(/\/$/, '');
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://collector');
    const path = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) || '/' : url.pathname;
    for (const route of routes) if (route(req, res, path)) return;
    const readOnly = req.method === 'GET' || req.method === 'HEAD';
    if (readOnly && path === '/metrics') {
      serveMetrics(options.metrics, res).catch((err: unknown) => {
        options.logger.error('metrics rendering failed', { error: err });
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    } else if (readOnly && path === '/health') serveHealth(res);
    else if (readOnly && path === '/ready') serveReady(res, options.ready);
    else {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  options.logger.info('http server listening', { address: options.address, port });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
