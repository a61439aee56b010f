import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent, type AgentOptions } from 'node:https';

/** The outcome of one POST: a status with Loki's body text, or a network error. */
export type SendResult =
  | { kind: 'response'; status: number; body: string; retryAfter: string | undefined }
  | { kind: 'network'; error: string };

export interface Transport {
  /** Resolves once `body` is no longer needed: the caller may then overwrite it. */
  post(body: Buffer, headers: Record<string, string>): Promise<SendResult>;
  close(): void;
}

/**
 * One keep-alive connection pool per client, over node:http(s) rather than
 * fetch so tls_config (CA, client certificate, server name,
 * insecure_skip_verify) maps directly onto Node's TLS options. Loki's error
 * bodies are short; anything past 64 KiB is cut.
 */
export function createTransport(url: URL, tls: AgentOptions, timeoutMs: number): Transport {
  const https = url.protocol === 'https:';
  const agent = https
    ? new HttpsAgent({ keepAlive: true, maxSockets: 4, ...tls })
    : new HttpAgent({ keepAlive: true, maxSockets: 4 });
  const send = https ? httpsRequest : httpRequest;

  const post = (body: Buffer, headers: Record<string, string>) =>
    new Promise<SendResult>((resolve) => {
      let settled = false;
      const finish = (result: SendResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        // The caller reuses `body` for its next push: answer only once the socket is done with it
        // (a server may answer before it has read the whole body).
        if (req.writableFinished || req.destroyed) resolve(result);
        else {
          req.once('finish', () => resolve(result));
          req.once('close', () => resolve(result));
        }
      };
      const req = send(
        url,
        { method: 'POST', agent, headers: { ...headers, 'content-length': String(body.length) } },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            if (size < 65_536) chunks.push(chunk);
            size += chunk.length;
          });
          res.on('end', () => {
            const retryAfter = res.headers['retry-after'];
            finish({
              kind: 'response',
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).subarray(0, 65_536).toString('utf8').trimEnd(),
              retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
            });
          });
          res.on('error', (error) => finish({ kind: 'network', error: error.message }));
        },
      );
      // The whole exchange, not only idle time, is bounded by `timeout`, as Go's http.Client.Timeout.
      const timer = setTimeout(() => {
        req.destroy(new Error(`timeout after ${timeoutMs}ms`));
      }, timeoutMs);
      req.on('error', (error) => finish({ kind: 'network', error: error.message }));
      req.end(body);
    });

  return { post, close: () => agent.destroy() };
}
