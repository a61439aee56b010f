import type { z } from 'zod';
import { clientConfigSchema, tlsConfigSchema } from '../config/client.js';
import { UNSUPPORTED } from '../config/fields.js';
import { staticConfigSchema, scrapeConfigSchema } from '../config/scrape.js';
import { postgresSinkConfigSchema } from '../sinks/postgres/config.js';
import { postgresAuditConfigSchema } from '../sources/postgres_audit.js';
import {
  globalSchema,
  limitsConfigSchema,
  positionsSchema,
  spoolSchema,
  targetConfigSchema,
} from '../config/sections.js';
import { serverSchema } from '../config/server.js';
import { stageKeys } from './stage_keys.js';

const SECTIONS: [string, z.ZodType, string][] = [
  ['server', serverSchema, "The collector's HTTP server (/metrics, /ready, /health) and its own log level."],
  [
    'clients[]',
    clientConfigSchema,
    'Where to ship: each client reads the spool on its own and keeps its own progress. `client` (one, deprecated) is merged in.',
  ],
  ['clients[].tls_config', tlsConfigSchema, 'TLS towards Loki.'],
  ['positions', positionsSchema, "Where file read offsets are kept (Promtail's YAML format)."],
  [
    'scrape_configs[]',
    scrapeConfigSchema,
    'One job: its sources, relabelling and `pipeline_stages` (see stages.md).',
  ],
  [
    'scrape_configs[].static_configs[]',
    staticConfigSchema,
    'Targets; for files, `labels.__path__` is the glob and `__path_exclude__` excludes.',
  ],
  [
    'scrape_configs[].postgres_audit',
    postgresAuditConfigSchema,
    'whodunit\'s addition: LISTENs for the SQL audit trail\'s alerts (mass deletes, TRUNCATE, DROP; `sql/README.md` "Alerts") and makes each an entry with `stream="db_audit"`, the payload JSON as the line and its fields as structured metadata. With `ingest` (the default) it also runs `audit.ingest()`, which turns the audit capture into audit rows and those alerts, every `ingest_interval` and at once on `whodunit_ingest` (a role in `whodunit_reader` and `whodunit_writer`; with `whodunit_reader` only, it listens and something else must ingest). Exactly one of `url` (secret) and `url_file`. Reconnects with backoff (`whodunit_postgres_source_connected`, `whodunit_postgres_source_reconnects_total`); with `catch_up`, after each (re)connect it reads the mass deletes and drops it missed from `audit.mass_deletes` and `audit.ddl_changes`, each emitted once; the cursor is kept in the positions file as `cursor-postgres_audit-<job_name>`.',
  ],
  ['target_config', targetConfigSchema, 'How often globs are re-evaluated.'],
  ['limits_config', limitsConfigSchema, 'Limits on every entry before it is shipped.'],
  ['global', globalSchema, "Promtail's file watch polling bounds."],
  [
    'postgres_sinks[]',
    postgresSinkConfigSchema,
    "whodunit's addition: writes application audit events (entries matching `events_selector`, a LogQL stream selector with optional line filters) to `audit.events` and, with `security_events: true`, the `detect` stage's detections to `audit.security_events`. Each sink reads the spool on its own, like a client, and acknowledges only what PostgreSQL committed; a failed write is retried with backoff forever (the spool holds the data). Rows carry an idempotency key (sha256 of the entry's timestamp, labels and line), so what is read again after a crash is not written twice. Exactly one of `url` (secret) and `url_file`; the role needs `whodunit_writer` and the database migration 009. The field mapping is in `src/sinks/postgres/map.ts`; metrics `whodunit_postgres_sink_{rows,duplicate_rows,dropped_entries,retries}_total` and `whodunit_postgres_sink_up`, `host` = `name`.",
  ],
  [
    'spool',
    spoolSchema,
    "whodunit's addition: the on-disk buffer every entry is written to before it is sent. A source's position moves only once its entries are durable here; an entry leaves only when every client has it. When it holds `max_bytes`, file sources pause and the push/syslog receivers answer 429. `directory` defaults to `spool/` beside `positions.filename`.",
  ],
];

/**
 * docs/config.md, generated from the config schemas: every section and key,
 * with its type and default, and which of Promtail's keys are accepted but
 * ignored (a warning says so at start-up).
 */
export function renderConfigDoc(): string {
  let out = `# Configuration

Generated from the schemas in \`src/config/\` by \`npm run -w collector docs\`; do not edit by hand.
The file format is Promtail's; durations are Go's (\`500ms\`, \`1m30s\`, \`24h\`), sizes may carry
units (\`256KB\`). With \`-config.expand-env=true\`, \`\${VAR}\` and \`\${VAR:-default}\` are expanded first,
as Promtail does (\`$$\` is a literal \`$\`, and backslashes must be doubled).

Unknown keys are errors, as in Promtail (its config is decoded strictly), except inside
pipeline stages, where Promtail ignores them and we warn. Keys marked *ignored* are Promtail's,
accepted so existing configs load, but not implemented here: a warning says so.
Other sections Promtail knows (\`options\`, \`tracing\`, \`wal\`) are accepted and ignored.
`;
  for (const [name, schema, about] of SECTIONS) {
    out += `\n## \`${name}\`\n\n${about}\n\n| key | type | default |\n| --- | --- | --- |\n`;
    const shape = (
      schema as unknown as { _zod: { def: { shape?: Record<string, z.ZodType>; in?: z.ZodType } } }
    )._zod.def;
    const fields =
      shape.shape ??
      (shape.in as unknown as { _zod: { def: { shape: Record<string, z.ZodType> } } })?._zod.def.shape ??
      {};
    for (const key of stageKeys(schema) ?? []) {
      const ignored = fields[key.name]?.description === UNSUPPORTED;
      const type = ignored ? '*ignored*' : key.type.replace(/\|/g, '\\|');
      const value =
        key.required && !ignored ? '**required**' : key.default === undefined ? '' : `\`${key.default}\``;
      out += `| \`${key.name}\` | ${type} | ${value} |\n`;
    }
  }
  return out;
}
