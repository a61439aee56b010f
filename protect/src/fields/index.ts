export { readFields, readLogfmt, readAccessLog, type Fields } from './read_fields.js';
export {
  requestContext,
  rawLevel,
  canonicalNames,
  normaliseKey,
  type CanonicalName,
  type RequestContext,
} from './canonical.js';
export { normaliseLevel, type Level } from './level.js';
