import type { ServerResponse } from 'node:http';

/** GET /health: the process is up and serving (liveness). */
export function serveHealth(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
  res.end('OK\n');
}

/**
 * GET /ready: 200 once the targets are running (readiness), 503 before, with
 * the reason, so an orchestrator does not route to a collector still starting.
 */
export function serveReady(res: ServerResponse, ready: () => boolean): void {
  const ok = ready();
  res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(ok ? 'ready\n' : 'not ready: targets are starting\n');
}
