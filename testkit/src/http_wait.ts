import type { ServiceProcess } from './processes.js';

/** Polls `url` until it answers 200, failing early with the service's log if it exits. */
export async function waitForHttpOk(url: string, proc: ServiceProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void proc.exited.then(() => (exited = true));
  for (;;) {
    if (exited) throw new Error(`${proc.name} exited during start-up:\n${await proc.logTail()}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(`${proc.name} did not answer ${url} within ${timeoutMs} ms:\n${await proc.logTail()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
