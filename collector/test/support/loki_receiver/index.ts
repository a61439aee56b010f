export { startLokiReceiver } from './server.js';
export type { LokiReceiver, LokiReceiverOptions, InjectedFailure, ReceivedRequest } from './server.js';
export { LOKI_DEFAULT_LIMITS } from './limits.js';
export type { LokiLimits } from './limits.js';
export { lokiUnderTest } from './loki_under_test.js';
export type { LokiUnderTest } from './loki_under_test.js';
