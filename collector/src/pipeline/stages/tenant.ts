import { z } from 'zod';
import { extractedToString } from '../../go/strconv.js';
import { TENANT_LABEL } from '../label_name.js';
import { defineStage, StageConfigError } from '../stage.js';

/**
 * `tenant`: sets the Loki tenant of the entry through the reserved label
 * `__tenant_id__`, which the Loki client turns into the `X-Scope-OrgID` header
 * (one batch per tenant).
 *
 * Exactly one of:
 *   - source: extracted key holding the tenant id
 *   - label:  label holding the tenant id
 *   - value:  a fixed tenant id
 * An empty or missing value leaves the tenant unchanged; a value that cannot be
 * text (a map, a list) is counted as `tenant_not_string`.
 *
 *   - json: { expressions: { customer: customer_id } }
 *   - tenant: { source: customer }
 *   line {"customer_id":"acme"} -> labels {__tenant_id__="acme"}
 */
export const tenant = defineStage({
  name: 'tenant',
  schema: z.object({
    source: z.string().optional(),
    label: z.string().optional(),
    value: z.string().optional(),
  }),
  create(config, ctx) {
    const given = (['source', 'label', 'value'] as const).filter(
      (k) => config[k] !== undefined && config[k] !== '',
    );
    if (given.length !== 1) {
      throw new StageConfigError(
        given[1] ?? '',
        given.length === 0
          ? 'tenant needs one of source, label or value'
          : `source, label and value are mutually exclusive (found ${given.join(' and ')})`,
      );
    }
    const { source, label, value } = config;
    return {
      process(entry) {
        let id: string | undefined;
        if (value) id = value;
        else if (label) id = entry.labels[label];
        else if (source) {
          const raw = entry.extracted[source];
          if (raw === undefined) return entry;
          id = extractedToString(raw);
          if (id === undefined) ctx.countError('tenant_not_string');
        }
        if (id) entry.labels[TENANT_LABEL] = id;
        return entry;
      },
    };
  },
});
