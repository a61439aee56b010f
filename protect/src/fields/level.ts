/**
 * One level vocabulary for every logger: debug | info | warn | error | critical.
 * Loki's per-level retention and our sampling recipes key on exactly these five.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error' | 'critical';

const byName: Record<string, Level> = {
  trace: 'debug',
  debug: 'debug',
  dbug: 'debug',
  dbg: 'debug',
  verbose: 'debug',
  fine: 'debug',
  finer: 'debug',
  finest: 'debug',
  info: 'info',
  information: 'info',
  informational: 'info',
  notice: 'info',
  log: 'info',
  warn: 'warn',
  warning: 'warn',
  wrn: 'warn',
  error: 'error',
  err: 'error',
  eror: 'error',
  severe: 'error',
  critical: 'critical',
  crit: 'critical',
  fatal: 'critical',
  panic: 'critical',
  alert: 'critical',
  emerg: 'critical',
  emergency: 'critical',
};

/**
 * Names (any case: `WARN`, `Warning`, `E`-less Go names), pino/bunyan numbers
 * (10 trace .. 60 fatal) and syslog severities as single digits (0 emerg .. 7 debug).
 */
export function normaliseLevel(value: unknown): Level | undefined {
  if (typeof value === 'number') return numericLevel(value);
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  if (/^\d+$/.test(text)) return numericLevel(Number(text));
  return byName[text];
}

function numericLevel(n: number): Level | undefined {
  if (n >= 10) {
    if (n < 30) return 'debug';
    if (n < 40) return 'info';
    if (n < 50) return 'warn';
    if (n < 60) return 'error';
    return 'critical';
  }
  if (n < 0 || n > 7) return undefined;
  return (['critical', 'critical', 'critical', 'error', 'warn', 'info', 'info', 'debug'] as const)[n];
}
