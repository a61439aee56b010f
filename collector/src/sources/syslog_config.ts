import { z } from 'zod';
import { tlsConfigSchema } from '../config/client.js';
import { duration, labelSet } from '../config/fields.js';

/**
 * The `syslog` scrape config: a syslog receiver, as Promtail's syslog target.
 *
 *   syslog:
 *     listen_address: 0.0.0.0:1514     # required
 *     listen_protocol: tcp             # or udp
 *     idle_timeout: 120s               # TCP connections idle this long are closed
 *     label_structured_data: false     # SD params as __syslog_message_sd_<id>_<name>
 *     labels: { job: syslog }
 *     use_incoming_timestamp: false    # the message's time instead of the receive time
 *     use_rfc5424_message: false       # the whole RFC 5424 message as the line
 *     syslog_format: rfc5424           # or rfc3164
 *     max_message_length: 8192
 *     tls_config: { cert_file, key_file, ca_file }   # TCP only; ca_file requires client certs
 *
 * Each message gets the configured labels plus `__syslog_connection_ip_address`,
 * `__syslog_connection_hostname` (reverse lookup), `__syslog_message_severity`,
 * `__syslog_message_facility`, `__syslog_message_hostname`,
 * `__syslog_message_app_name`, `__syslog_message_proc_id`,
 * `__syslog_message_msg_id` (each only when present), then the scrape config's
 * relabel_configs run and labels starting with `__` are removed. Messages
 * without text are dropped (counted as empty), unparsable ones are dropped and
 * counted as parsing errors, as in Promtail. Unlike Promtail, a message that a
 * keep/drop relabel rule drops is dropped (Promtail sends it with no labels,
 * which Loki rejects), and receive times are strictly increasing so Loki does
 * not collapse equal lines. With `use_rfc5424_message` the line is the message
 * as received (Promtail re-serialises it; the text is the same for valid input).
 */
export const syslogConfigSchema = z.object({
  listen_address: z.string(),
  listen_protocol: z.enum(['tcp', 'udp']).default('tcp'),
  idle_timeout: duration('120s'),
  label_structured_data: z.boolean().default(false),
  labels: labelSet().default({}),
  use_incoming_timestamp: z.boolean().default(false),
  use_rfc5424_message: z.boolean().default(false),
  syslog_format: z.enum(['rfc5424', 'rfc3164']).default('rfc5424'),
  max_message_length: z.number().int().positive().default(8192),
  tls_config: tlsConfigSchema.optional(),
});

export type SyslogConfig = z.output<typeof syslogConfigSchema>;
