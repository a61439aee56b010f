import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { lookupService } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../log.js';
import { newEntry } from '../pipeline/entry.js';
import { systemClock, type Clock } from '../pipeline/stage.js';
import { EntryQueue } from './entry_queue.js';
import { registeredMetric } from './registered_metric.js';
import { relabel, type RelabelConfig } from './relabel.js';
import type { Source } from './source.js';
import { SyslogFramer } from './syslog_framing.js';
import type { SyslogConfig } from './syslog_config.js';
import {
  facilityLevel,
  parseRFC3164,
  parseRFC5424,
  severityLevel,
  type SyslogMessage,
} from './syslog_parse.js';

export interface SyslogSourceOptions {
  config: SyslogConfig;
  relabelConfigs?: readonly RelabelConfig[];
  logger: Logger;
  metrics: Registry;
  clock?: Clock;
  /** Entries waiting for the consumer; beyond it TCP stops reading and UDP drops. Default 10,000. */
  queueCapacity?: number;
  maxBatchLines?: number;
  /** Reverse lookup for `__syslog_connection_hostname`; default getnameinfo with a 1 s limit. */
  lookupHostname?: (ip: string) => Promise<string>;
}

export interface SyslogSource extends Source {
  /** Where it listens (port 0 in the config means a free port, for tests). */
  readonly address: AddressInfo;
}

export async function createSyslogSource(options: SyslogSourceOptions): Promise<SyslogSource> {
  const receiver = new SyslogReceiver(options);
  await receiver.listen();
  return receiver;
}

interface SyslogMetrics {
  entries: Counter;
  parsingErrors: Counter;
  emptyMessages: Counter;
  dropped: Counter<'reason'>;
}

function syslogMetrics(registry: Registry): SyslogMetrics {
  const counter = (name: string, help: string) =>
    registeredMetric(registry, name, () => new Counter({ name, help, registers: [registry] }));
  return {
    entries: counter('promtail_syslog_target_entries_total', 'Total number of successful syslog entries.'),
    parsingErrors: counter(
      'promtail_syslog_target_parsing_errors_total',
      'Total number of syslog parsing errors.',
    ),
    emptyMessages: counter('promtail_syslog_empty_messages_total', 'Total number of empty syslog messages.'),
    dropped: registeredMetric(
      registry,
      'whodunit_syslog_dropped_entries_total',
      () =>
        new Counter({
          name: 'whodunit_syslog_dropped_entries_total',
          help: 'Syslog messages dropped, by reason (queue_full on UDP, relabel).',
          labelNames: ['reason'],
          registers: [registry],
        }),
    ),
  };
}

class SyslogReceiver implements SyslogSource {
  readonly kind = 'syslog';
  address!: AddressInfo;
  private readonly config: SyslogConfig;
  private readonly queue: EntryQueue;
  private readonly metrics: SyslogMetrics;
  private readonly clock: Clock;
  private readonly lookupHostname: (ip: string) => Promise<string>;
  private readonly sockets = new Set<Socket>();
  private readonly udpHostnames = new Map<string, Promise<string>>();
  private server: Server | undefined;
  private udp: UdpSocket | undefined;
  private lastTs = 0n;
  private stopped = false;

  constructor(private readonly options: SyslogSourceOptions) {
    this.config = options.config;
    this.queue = new EntryQueue(options.queueCapacity ?? 10_000, options.maxBatchLines ?? 1000);
    this.metrics = syslogMetrics(options.metrics);
    this.clock = options.clock ?? systemClock;
    this.lookupHostname = options.lookupHostname ?? reverseLookup;
  }

  batches() {
    return this.queue.batches();
  }

  async listen(): Promise<void> {
    const { host, port } = splitHostPort(this.config.listen_address);
    if (this.config.listen_protocol === 'udp') {
      const udp = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      this.udp = udp;
      udp.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo.address));
      udp.on('error', (err) => this.options.logger.error('syslog udp socket error', { error: err }));
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, host || undefined, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      this.address = udp.address();
    } else {
      const server = this.tcpServer();
      this.server = server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host || undefined, () => {
          server.off('error', reject);
          resolve();
        });
      });
      this.address = server.address() as AddressInfo;
    }
    this.options.logger.info('syslog listening on address', {
      address: `${this.address.address}:${this.address.port}`,
      protocol: this.config.listen_protocol,
      tls: this.config.tls_config !== undefined,
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const socket of this.sockets) socket.destroy();
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    if (this.udp) await new Promise<void>((resolve) => this.udp!.close(() => resolve()));
    this.queue.close();
  }

  private tcpServer(): Server {
    const onConnection = (socket: Socket) => this.onConnection(socket);
    const tls = this.config.tls_config;
    const enabled = tls && (tls.cert_file || tls.key_file || tls.ca_file || tls.cert || tls.key);
    if (!tls || !enabled) return createTcpServer(onConnection);
    const cert = tls.cert ?? (tls.cert_file ? readFileSync(tls.cert_file, 'utf8') : undefined);
    const key = tls.key?.reveal() ?? (tls.key_file ? readFileSync(tls.key_file, 'utf8') : undefined);
    if (!cert || !key)
      throw new Error('error setting up syslog target: certificate and key files are required');
    const ca = tls.ca ?? (tls.ca_file ? readFileSync(tls.ca_file, 'utf8') : undefined);
    return createTlsServer(
      { cert, key, ca, requestCert: ca !== undefined, rejectUnauthorized: ca !== undefined },
      onConnection,
    );
  }

  private onConnection(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', (err) => this.options.logger.debug('syslog connection error', { error: err }));
    socket.setTimeout(this.config.idle_timeout, () => socket.destroy());
    socket.pause();
    const ip = normaliseIp(socket.remoteAddress ?? '');
    void this.lookupHostname(ip).then((hostname) => {
      const connLabels = this.connectionLabels(ip, hostname);
      const framer = new SyslogFramer(this.config.max_message_length, {
        message: (text) => this.onMessage(text, connLabels),
        error: (reason, detail) => this.onFramingError(reason, detail),
      });
      socket.on('data', (chunk: Buffer) => {
        if (!framer.push(chunk)) socket.destroy();
        else if (this.queue.full) {
          socket.pause();
          void this.queue.whenSpace().then(() => socket.resume());
        }
      });
      socket.on('end', () => framer.end());
      if (!this.queue.full) socket.resume();
      else void this.queue.whenSpace().then(() => socket.resume());
    });
  }

  private onDatagram(datagram: Buffer, address: string): void {
    const ip = normaliseIp(address);
    if (this.queue.full) {
      this.metrics.dropped.inc({ reason: 'queue_full' });
      return;
    }
    let hostname = this.udpHostnames.get(ip);
    if (!hostname) {
      if (this.udpHostnames.size >= 1024) this.udpHostnames.clear();
      hostname = this.lookupHostname(ip);
      this.udpHostnames.set(ip, hostname);
    }
    void hostname.then((name) => {
      const connLabels = this.connectionLabels(ip, name);
      const framer = new SyslogFramer(this.config.max_message_length, {
        message: (text) => this.onMessage(text, connLabels),
        error: (reason, detail) => this.onFramingError(reason, detail),
      });
      framer.push(datagram.subarray(0, this.config.max_message_length));
      framer.end();
    });
  }

  private connectionLabels(ip: string, hostname: string): Record<string, string> {
    return {
      ...this.config.labels,
      __syslog_connection_ip_address: ip,
      __syslog_connection_hostname: hostname,
    };
  }

  private onFramingError(reason: string, detail: string): void {
    this.metrics.parsingErrors.inc();
    this.options.logger.debug('error parsing syslog stream', { reason, error: detail });
  }

  private onMessage(text: string, connLabels: Record<string, string>): void {
    if (this.stopped) return;
    const rfc3164 = this.config.syslog_format === 'rfc3164';
    const parsed = rfc3164 ? parseRFC3164(text, new Date().getUTCFullYear()) : parseRFC5424(text);
    if (!parsed.ok) {
      this.metrics.parsingErrors.inc();
      this.options.logger.debug('error parsing syslog message', { error: parsed.error });
      return;
    }
    const message = parsed.message;
    if (message.message === undefined) {
      this.metrics.emptyMessages.inc();
      return;
    }
    const labels = relabel(this.messageLabels(connLabels, message), this.options.relabelConfigs ?? []);
    if (!labels) {
      this.metrics.dropped.inc({ reason: 'relabel' });
      return;
    }
    for (const name of Object.keys(labels)) if (name.startsWith('__')) delete labels[name];
    let ts: bigint;
    if (this.config.use_incoming_timestamp && message.timestamp !== undefined) {
      ts = message.timestamp;
    } else {
      ts = this.clock.now();
      ts = ts > this.lastTs ? ts : this.lastTs + 1n;
      this.lastTs = ts;
    }
    const line = this.config.use_rfc5424_message && !rfc3164 ? text : message.message;
    this.queue.push([newEntry(line, labels, ts)]);
    this.metrics.entries.inc();
  }

  private messageLabels(connLabels: Record<string, string>, m: SyslogMessage): Record<string, string> {
    const labels: Record<string, string> = { ...connLabels };
    labels['__syslog_message_severity'] = severityLevel(m.severity);
    labels['__syslog_message_facility'] = facilityLevel(m.facility);
    if (m.hostname !== undefined) labels['__syslog_message_hostname'] = m.hostname;
    if (m.appname !== undefined) labels['__syslog_message_app_name'] = m.appname;
    if (m.procid !== undefined) labels['__syslog_message_proc_id'] = m.procid;
    if (m.msgid !== undefined) labels['__syslog_message_msg_id'] = m.msgid;
    if (this.config.label_structured_data && m.structuredData) {
      for (const [id, params] of Object.entries(m.structuredData)) {
        const safeId = id.replaceAll('@', '_');
        for (const [name, value] of Object.entries(params)) {
          labels[`__syslog_message_sd_${safeId}_${name}`] = value;
        }
      }
    }
    return labels;
  }
}

/** `host:port`, `[v6]:port` or `:port` (all interfaces). */
function splitHostPort(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(address);
  if (!m) throw new Error(`syslog listen_address must be host:port, got "${address}"`);
  return { host: m[1] ?? m[2] ?? '', port: Number(m[3]) };
}

/** Go prints an IPv4 peer of a dual-stack socket as plain IPv4. */
function normaliseIp(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** Go's net.LookupAddr joined with commas; "" when nothing answers within a second. */
async function reverseLookup(ip: string): Promise<string> {
  if (!ip) return '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(''), 1000);
    timer.unref();
  });
  try {
    return await Promise.race([lookupService(ip, 0).then((r) => r.hostname), timeout]);
  } catch {
    return '';
  } finally {
    clearTimeout(timer);
  }
}
