import { z } from 'zod';
import { postgresSinksSchema } from '../sinks/postgres/config.js';
import { clientConfigSchema } from './client.js';
import { scrapeConfigSchema } from './scrape.js';
import {
  globalSchema,
  limitsConfigSchema,
  positionsSchema,
  sectionsUnsupported,
  spoolSchema,
  targetConfigSchema,
} from './sections.js';
import { serverSchema } from './server.js';

/**
 * The whole config file: Promtail's top-level sections. Promtail decodes these
 * strictly (yaml KnownFields), so an unknown key anywhere outside a pipeline
 * stage is an error here too. Rules across entries (unique job names) are in
 * config/rules.ts, run on the raw data so they report even when a field fails.
 */
export const configSchema = z
  .object({
    server: serverSchema.prefault({}),
    /** Deprecated in Promtail: one client; merged into `clients`. */
    client: clientConfigSchema.optional(),
    clients: z.array(clientConfigSchema).default([]),
    positions: positionsSchema.prefault({}),
    scrape_configs: z.array(scrapeConfigSchema).default([]),
    target_config: targetConfigSchema.prefault({}),
    limits_config: limitsConfigSchema.prefault({}),
    global: globalSchema.prefault({}),
    spool: spoolSchema.prefault({}),
    /** whodunit's addition: audit and security events into PostgreSQL (sinks/postgres/config.ts). */
    postgres_sinks: postgresSinksSchema,
    ...sectionsUnsupported,
  })
  .transform(({ client, ...config }) => ({
    ...config,
    clients: client ? [client, ...config.clients] : config.clients,
  }));

export type Config = z.output<typeof configSchema>;
