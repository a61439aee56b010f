import type { Logger } from './log.js';
import { Secret } from './secret.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface LoggerOptions {
  /** Lines below this level are skipped. Promtail's `server.log_level`; default info. */
  level?: LogLevel;
  /** Where each JSON line goes; default stderr. Tests pass an array's push. */
  write?: (line: string) => void;
  /** Time of each line; default now. */
  now?: () => Date;
}

/**
 * The collector's own logs: one JSON object per line on stderr,
 * `{"ts":"...","level":"warn","msg":"...",...fields}`. Secret values print as
 * `<secret>` (Secret.toJSON); Error fields become their message so stack traces
 * do not spill multi-line text into the stream.
 */
export function createLogger(options: LoggerOptions = {}, bound: Record<string, unknown> = {}): Logger {
  const minRank = LEVEL_RANK[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const now = options.now ?? (() => new Date());

  const log = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (LEVEL_RANK[level] < minRank) return;
    const record = { ts: now().toISOString(), level, msg, ...bound, ...fields };
    write(JSON.stringify(record, jsonSafe));
  };

  return {
    debug: (msg, fields) => log('debug', msg, fields),
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (value instanceof Secret) return value.toJSON();
  if (value instanceof Error) return value.message;
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** A logger that drops everything (tests of code that must not log). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
