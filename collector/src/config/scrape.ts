import { z } from 'zod';
import { lokiPushConfigSchema } from '../sources/loki_push_config.js';
import { postgresAuditConfigSchema } from '../sources/postgres_audit.js';
import { relabelConfigSchema } from '../sources/relabel.js';
import { syslogConfigSchema } from '../sources/syslog_config.js';
import { labelSet, unsupported } from './fields.js';

/**
 * `static_configs[]`: Prometheus static target groups. For files, the labels
 * `__path__` (a glob) and `__path_exclude__` choose what to tail; `targets` is
 * required by Promtail's schema but means nothing for files (use `localhost`).
 */
export const staticConfigSchema = z.object({
  targets: z.array(z.string()).default([]),
  labels: labelSet().default({}),
});

/**
 * One `scrape_configs` entry: a job with its sources, relabelling and
 * pipeline. `pipeline_stages` stays raw here; the pipeline builder validates it
 * against the stage registry (stage options are decoded leniently, as Promtail
 * does, so unknown stage keys are warnings, not errors).
 */
export const scrapeConfigSchema = z.object({
  job_name: z.string().default(''),
  pipeline_stages: z.array(z.unknown()).default([]),
  static_configs: z.array(staticConfigSchema).default([]),
  relabel_configs: z.array(relabelConfigSchema).default([]),
  syslog: syslogConfigSchema.optional(),
  loki_push_api: lokiPushConfigSchema.optional(),
  /** whodunit's addition: the SQL audit trail's alerts (sources/postgres_audit.ts). */
  postgres_audit: postgresAuditConfigSchema.optional(),
  encoding: unsupported(),
  decompression: unsupported(),
  journal: unsupported(),
  gcplog: unsupported(),
  windows_events: unsupported(),
  kafka: unsupported(),
  azure_event_hubs: unsupported(),
  gelf: unsupported(),
  cloudflare: unsupported(),
  heroku_drain: unsupported(),
  docker_sd_configs: unsupported(),
  dns_sd_configs: unsupported(),
  file_sd_configs: unsupported(),
  consul_sd_configs: unsupported(),
  consulagent_sd_configs: unsupported(),
  digitalocean_sd_configs: unsupported(),
  dockerswarm_sd_configs: unsupported(),
  serverset_sd_configs: unsupported(),
  nerve_sd_configs: unsupported(),
  marathon_sd_configs: unsupported(),
  kubernetes_sd_configs: unsupported(),
  gce_sd_configs: unsupported(),
  ec2_sd_configs: unsupported(),
  openstack_sd_configs: unsupported(),
  azure_sd_configs: unsupported(),
  triton_sd_configs: unsupported(),
});

export type ScrapeConfig = z.output<typeof scrapeConfigSchema>;
