/** Prometheus/Loki label names: `[a-zA-Z_][a-zA-Z0-9_]*`. */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export const isValidLabelName = (name: string): boolean => LABEL_NAME.test(name);

/** The reserved label the `tenant` stage sets; the Loki client turns it into X-Scope-OrgID. */
export const TENANT_LABEL = '__tenant_id__';
