/**
 * The stage registry: every pipeline stage the collector knows, keyed by its
 * YAML name. Config validation, the pipeline builder, the docs page
 * (docs/stages.md) and the case runner (test/stage_cases.test.ts) all read it.
 *
 * To add a stage: write `stages/<name>.ts` exporting `const <camelName> = defineStage(...)`
 * and `stages/<name>.cases.yaml`, then add one import line (kept alphabetical)
 * and one map line (kept alphabetical) below.
 */
import type { StageDefinition } from '../stage.js';
// imports (one per stage)
import { context } from './context.js';
import { cri } from './cri.js';
import { decolorize } from './decolorize.js';
import { detect } from './detect.js';
import { docker } from './docker.js';
import { drop } from './drop.js';
import { encrypt } from './encrypt.js';
import { geoip } from './geoip.js';
import { json } from './json.js';
import { labelallow } from './labelallow.js';
import { labeldrop } from './labeldrop.js';
import { labels } from './labels.js';
import { limit } from './limit.js';
import { logfmt } from './logfmt.js';
import { match } from './match.js';
import { metrics } from './metrics.js';
import { multiline } from './multiline.js';
import { output } from './output.js';
import { pack } from './pack.js';
import { redact } from './redact.js';
import { regex } from './regex.js';
import { replace } from './replace.js';
import { sampling } from './sampling.js';
import { staticLabels } from './static_labels.js';
import { structuredMetadata } from './structured_metadata.js';
import { template } from './template.js';
import { tenant } from './tenant.js';
import { timestamp } from './timestamp.js';

export const stages: Record<string, StageDefinition> = {
  // entries (one per stage): `name: camelName,`
  context,
  cri,
  decolorize,
  detect,
  docker,
  drop,
  encrypt,
  geoip,
  json,
  labelallow,
  labeldrop,
  labels,
  limit,
  logfmt,
  match,
  metrics,
  multiline,
  output,
  pack,
  redact,
  regex,
  replace,
  sampling,
  static_labels: staticLabels,
  structured_metadata: structuredMetadata,
  template,
  tenant,
  timestamp,
};
