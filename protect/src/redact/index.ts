export { createRedactor, type Redactor, type RedactorOptions } from './redactor.js';
export type { RedactMode } from './replacement.js';
export type { CustomPattern } from './custom_pattern.js';
export type { Detector } from './detector.js';
export { builtinDetectorNames, defaultSensitiveKeys } from './builtin/index.js';
export { luhnValid } from './luhn.js';
