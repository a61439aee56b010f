/** @whodunit/collector: the pieces other parts and tests use. The command is cli.ts. */
export {
  loadConfigFile,
  loadConfigText,
  hasErrors,
  type LoadResult,
  type LoadOptions,
} from './config/load.js';
export { formatDiagnostic, type Diagnostic } from './config/diagnostics.js';
export type { Config } from './config/schema.js';
export { compilePipeline, Pipeline, type PipelineOptions } from './pipeline/pipeline.js';
export { stages } from './pipeline/stages/index.js';
export { newEntry, cloneEntry, type Entry } from './pipeline/entry.js';
export { toEntryJson, formatEntryJson, entryFromJson, type EntryJson } from './pipeline/entry_json.js';
export { startAgent, type Agent, type AgentOptions } from './agent.js';
export { startApiServer, type ApiServer } from './api/server.js';
export { createLogger } from './logger.js';
export { Secret } from './secret.js';
