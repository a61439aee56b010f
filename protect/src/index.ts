/**
 * @whodunit/protect: redaction of secrets and personal data, security detections,
 * and field encryption. Pure TypeScript, no I/O: the collector's `redact`, `detect`,
 * `encrypt` and `context` stages wrap it, and the SDK can use it in-process.
 */
export { ProtectConfigError } from './config_error.js';
export * from './redact/index.js';
export * from './detect/index.js';
export * from './fields/index.js';
export * from './encrypt/index.js';
