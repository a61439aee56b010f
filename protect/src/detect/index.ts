export type { Detection, Severity } from './detection.js';
export { mostSevere } from './detection.js';
export { inspectRequest, attackTypes, type RequestParts } from './payloads/inspect.js';
export { decodeForInspection } from './payloads/decode.js';
export {
  createSecurityDetector,
  detectionTypes,
  type SecurityDetector,
  type SecurityDetectorOptions,
} from './security_detector.js';
export type { FailedLoginOptions } from './behaviour/failed_logins.js';
export type { RequestFloodOptions } from './behaviour/request_flood.js';
export type { DataExportOptions } from './behaviour/data_export.js';
export { BoundedKeys } from './behaviour/bounded_keys.js';
