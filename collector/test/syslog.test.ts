import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/logger.js';
import type { Entry } from '../src/pipeline/entry.js';
import { relabelConfigSchema } from '../src/sources/relabel.js';
import { createSyslogSource, type SyslogSource } from '../src/sources/syslog.js';
import { syslogConfigSchema } from '../src/sources/syslog_config.js';
import { SyslogFramer } from '../src/sources/syslog_framing.js';
import { parseRFC3164, parseRFC5424 } from '../src/sources/syslog_parse.js';

describe('syslog parsing', () => {
  it('RFC 5424 with structured data (RFC 5424 section 6.5 example)', () => {
    const res = parseRFC5424(
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 ' +
        '[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] ' +
        'An application event log entry',
    );
    expect(res).toEqual({
      ok: true,
      message: {
        facility: 20,
        severity: 5,
        timestamp: 1065910455003000000n,
        hostname: 'mymachine.example.com',
        appname: 'evntslog',
        procid: undefined,
        msgid: 'ID47',
        structuredData: {
          'exampleSDID@32473': { iut: '3', eventSource: 'Application', eventID: '1011' },
          'examplePriority@32473': { class: 'high' },
        },
        message: 'An application event log entry',
      },
    });
  });

  it('RFC 5424: nil values, escapes in SD values, no message', () => {
    const res = parseRFC5424('<13>1 - - - - - [a x="q\\"uo\\]te\\\\"]');
    expect(res.ok && res.message).toMatchObject({
      facility: 1,
      severity: 5,
      timestamp: undefined,
      hostname: undefined,
      structuredData: { a: { x: 'q"uo]te\\' } },
      message: undefined,
    });
  });

  it('RFC 5424: rejects what is not a syslog message', () => {
    expect(parseRFC5424('hello').ok).toBe(false);
    expect(parseRFC5424('<999>1 - - - - - -').ok).toBe(false);
    expect(parseRFC5424('<13>0 - - - - - -').ok).toBe(false);
    expect(parseRFC5424('<13>1 yesterday h a p m - msg').ok).toBe(false);
  });

  it('RFC 3164: BSD timestamp in the given year (UTC), tag and pid', () => {
    const res = parseRFC3164("<34>Oct 11 22:14:15 mymachine su[123]: 'su root' failed for lonvick", 2024);
    expect(res).toEqual({
      ok: true,
      message: {
        facility: 4,
        severity: 2,
        timestamp: BigInt(Date.UTC(2024, 9, 11, 22, 14, 15)) * 1_000_000n,
        hostname: 'mymachine',
        appname: 'su',
        procid: '123',
        message: "'su root' failed for lonvick",
      },
    });
    expect(parseRFC3164('<13>Feb  5 01:02:03 host app: hi', 2024).ok).toBe(true);
  });
});

describe('syslog framing', () => {
  function frame(chunks: string[], max = 100) {
    const out: string[] = [];
    const errors: string[] = [];
    const framer = new SyslogFramer(max, { message: (m) => out.push(m), error: (r) => errors.push(r) });
    const open = chunks.map((c) => framer.push(Buffer.from(c)));
    framer.end();
    return { out, errors, open };
  }

  it('octet counting across chunk boundaries, counting bytes not characters', () => {
    expect(frame(['5 <1>1 ', '8 <1>1 é', 'x']).out).toEqual(['<1>1 ', '<1>1 éx']);
  });

  it('newline framing delivers a last message without its newline at the end of the stream', () => {
    expect(frame(['<1>a\n<1>', 'b\n<1>c']).out).toEqual(['<1>a', '<1>b', '<1>c']);
  });

  it('refuses an unknown framing and an octet count over max_message_length', () => {
    expect(frame(['hello\n'])).toMatchObject({ out: [], errors: ['framing'], open: [false] });
    expect(frame(['500 <1>1 x'])).toMatchObject({ out: [], errors: ['too_long', 'framing'], open: [false] });
  });

  it('drops a newline-framed message over max_message_length and goes on', () => {
    expect(frame(['<1>' + 'x'.repeat(200), 'y\n<1>ok\n'])).toMatchObject({
      out: ['<1>ok'],
      errors: ['too_long'],
    });
  });
});

const sources: SyslogSource[] = [];
afterEach(async () => {
  for (const s of sources.splice(0)) await s.stop();
});

async function startSyslog(config: Record<string, unknown>, relabel: unknown[] = []) {
  const source = await createSyslogSource({
    config: syslogConfigSchema.parse({ listen_address: '127.0.0.1:0', ...config }),
    relabelConfigs: relabel.map((r) => relabelConfigSchema.parse(r)),
    logger: silentLogger,
    metrics: new Registry(),
    clock: { now: () => 42n },
    lookupHostname: async (ip) => (ip === '127.0.0.1' ? 'localhost' : ''),
  });
  sources.push(source);
  const received: Entry[] = [];
  void (async () => {
    for await (const batch of source.batches()) {
      received.push(...batch.entries);
      batch.ack();
    }
  })();
  return { source, received };
}

function sendTcp(port: number, payload: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(payload));
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
}

const poll = { timeout: 3000, interval: 5 };
const msg1 =
  '<165>1 2018-10-11T22:14:15.003Z host5 e - id1 [custom@32473 exkey="1"] An application event log entry';
const msg2 = '<13>1 2018-10-11T22:14:15.004Z host6 app 1234 - - second';

describe('syslog source', () => {
  it("TCP with newline framing: Promtail's __syslog_ labels, relabelled into stream labels", async () => {
    const { source, received } = await startSyslog(
      { labels: { job: 'syslog' }, label_structured_data: true },
      [
        { source_labels: ['__syslog_message_hostname'], target_label: 'host' },
        { source_labels: ['__syslog_message_app_name'], target_label: 'app' },
        { source_labels: ['__syslog_message_severity'], target_label: 'severity' },
        { source_labels: ['__syslog_message_facility'], target_label: 'facility' },
        { source_labels: ['__syslog_message_sd_custom_32473_exkey'], target_label: 'exkey' },
        { source_labels: ['__syslog_connection_ip_address'], target_label: 'ip' },
        { source_labels: ['__syslog_connection_hostname'], target_label: 'peer' },
        { source_labels: ['__syslog_message_proc_id'], target_label: 'pid' },
      ],
    );
    await sendTcp(source.address.port, `${msg1}\n${msg2}\n`);
    await expect.poll(() => received.length, poll).toBe(2);
    expect(received[0]!.line).toBe('An application event log entry');
    expect(received[0]!.labels).toEqual({
      job: 'syslog',
      host: 'host5',
      app: 'e',
      severity: 'notice',
      facility: 'local4',
      exkey: '1',
      ip: '127.0.0.1',
      peer: 'localhost',
    });
    expect(received[1]!.labels).toMatchObject({
      host: 'host6',
      pid: '1234',
      severity: 'notice',
      facility: 'user',
    });
    expect(received.map((e) => e.timestamp)).toEqual([42n, 43n]); // receive time, strictly increasing
  });

  it('TCP with octet counting, incoming timestamps and the full RFC 5424 message', async () => {
    const { source, received } = await startSyslog({
      use_incoming_timestamp: true,
      use_rfc5424_message: true,
    });
    const frame = (m: string) => `${Buffer.byteLength(m)} ${m}`;
    await sendTcp(source.address.port, frame(msg1) + frame('<13>1 - h a - - - multi\nline ünïcode'));
    await expect.poll(() => received.length, poll).toBe(2);
    expect(received[0]!.line).toBe(msg1);
    expect(received[0]!.timestamp).toBe(1539296055003000000n);
    expect(received[1]!.line).toBe('<13>1 - h a - - - multi\nline ünïcode');
    expect(received[1]!.timestamp).toBe(42n); // no timestamp in the message: receive time
    expect(received[0]!.labels).toEqual({});
  });

  it('UDP datagrams, RFC 3164 format', async () => {
    const { source, received } = await startSyslog({
      listen_protocol: 'udp',
      syslog_format: 'rfc3164',
      labels: { job: 'udp' },
    });
    const client = createSocket('udp4');
    await new Promise<void>((resolve) =>
      client.send('<34>Oct 11 22:14:15 mymachine su: hello over udp', source.address.port, '127.0.0.1', () =>
        resolve(),
      ),
    );
    client.close();
    await expect.poll(() => received.length, poll).toBe(1);
    expect(received[0]!.line).toBe('hello over udp');
    expect(received[0]!.labels).toEqual({ job: 'udp' });
  });

  it('drops unparsable and empty messages, counting them, and keeps the connection', async () => {
    const registry = new Registry();
    const source = await createSyslogSource({
      config: syslogConfigSchema.parse({ listen_address: '127.0.0.1:0' }),
      logger: silentLogger,
      metrics: registry,
      lookupHostname: async () => '',
    });
    sources.push(source);
    const received: Entry[] = [];
    void (async () => {
      for await (const b of source.batches()) received.push(...b.entries);
    })();
    await sendTcp(source.address.port, '<13>garbage\n<13>1 - - - - - -\n' + msg2 + '\n');
    await expect.poll(() => received.length, poll).toBe(1);
    expect(received[0]!.line).toBe('second');
    const metrics = await registry.getMetricsAsJSON();
    const value = (name: string) => metrics.find((m) => m.name === name)?.values[0]?.value;
    expect(value('promtail_syslog_target_parsing_errors_total')).toBe(1);
    expect(value('promtail_syslog_empty_messages_total')).toBe(1);
    expect(value('promtail_syslog_target_entries_total')).toBe(1);
  });

  it('a keep rule that does not match drops the message', async () => {
    const { source, received } = await startSyslog({}, [
      { source_labels: ['__syslog_message_app_name'], regex: 'app', action: 'keep' },
    ]);
    await sendTcp(source.address.port, `${msg1}\n${msg2}\n`);
    await expect.poll(() => received.map((e) => e.line), poll).toEqual(['second']);
  });

  it('refuses a stream whose framing is neither octet counting nor <PRI>', async () => {
    const { source, received } = await startSyslog({});
    await sendTcp(source.address.port, 'hello\n');
    await sendTcp(source.address.port, `${msg2}\n`);
    await expect.poll(() => received.map((e) => e.line), poll).toEqual(['second']);
  });

  it('TCP over TLS with tls_config cert_file and key_file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'syslog-tls-'));
    try {
      const [cert_file, key_file] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-nodes',
          '-keyout',
          key_file,
          '-out',
          cert_file,
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
        ],
        { stdio: 'ignore' },
      );
      const { source, received } = await startSyslog({ tls_config: { cert_file, key_file } });
      await new Promise<void>((resolve, reject) => {
        const socket = tlsConnect(
          {
            port: source.address.port,
            host: '127.0.0.1',
            servername: 'localhost',
            ca: readFileSync(cert_file),
          },
          () => socket.end(`${msg2}\n`),
        );
        socket.on('close', () => resolve());
        socket.on('error', reject);
      });
      await expect.poll(() => received.map((e) => e.line), poll).toEqual(['second']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops reading a TCP connection while the queue is full, and loses nothing', async () => {
    const source = await createSyslogSource({
      config: syslogConfigSchema.parse({ listen_address: '127.0.0.1:0' }),
      logger: silentLogger,
      metrics: new Registry(),
      queueCapacity: 5,
      maxBatchLines: 5,
      lookupHostname: async () => '',
    });
    sources.push(source);
    const lines = Array.from({ length: 200 }, (_, i) => `<13>1 - - - - - - m${i}`).join('\n') + '\n';
    const sent = sendTcp(source.address.port, lines);
    const received: string[] = [];
    for await (const batch of source.batches()) {
      expect(batch.entries.length).toBeLessThanOrEqual(5);
      received.push(...batch.entries.map((e) => e.line));
      if (received.length === 200) break;
    }
    await sent;
    expect(received).toEqual(Array.from({ length: 200 }, (_, i) => `m${i}`));
  });
});
