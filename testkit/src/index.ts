export { startPostgres, type PostgresOptions, type PostgresServer } from './postgres.js';
export { startPrometheus, type PrometheusOptions, type PrometheusServer } from './prometheus.js';
export {
  startAlertmanager,
  alertmanagerBinary,
  type AlertmanagerOptions,
  type AlertmanagerServer,
} from './alertmanager.js';
export { launchChromium } from './chromium.js';
export { freePort, assertPortFree } from './ports.js';
export { findBinary, findPostgresBinDir, MissingBinaryError } from './binaries.js';
export { startProcess, isAlive, type ServiceProcess } from './processes.js';
export { copyConfig } from './config_copy.js';
export { waitForHttpOk } from './http_wait.js';
export { repoRoot, repoPath } from './repo.js';
