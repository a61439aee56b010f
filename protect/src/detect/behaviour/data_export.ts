/**
 * Large data exports: a row count or a byte count over a threshold, from the usual
 * field names (`rows`, `row_count`, `rows_exported`; `bytes`, `bytes_sent`,
 * `response_bytes`, `body_bytes_sent`). Ten times the threshold is high severity.
 */
import type { Fields } from '../../fields/read_fields.js';
import type { Detection } from '../detection.js';

export interface DataExportOptions {
  /** Default 10 000 rows. */
  maxRows: number;
  /** Default 50 MiB. */
  maxBytes: number;
}

export const defaultDataExportOptions: DataExportOptions = { maxRows: 10_000, maxBytes: 50 * 1024 * 1024 };

const rowKeys = [
  'rows',
  'row_count',
  'rowCount',
  'rows_exported',
  'exported_rows',
  'records',
  'record_count',
];
const byteKeys = [
  'bytes',
  'bytes_sent',
  'response_bytes',
  'body_bytes_sent',
  'size_bytes',
  'response_size',
  'bytes_out',
];

function firstNumber(fields: Fields, keys: readonly string[]): [string, number] | undefined {
  for (const key of keys) {
    const raw = fields[key];
    const n =
      typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (Number.isFinite(n)) return [key, n];
  }
  return undefined;
}

export function dataExport(fields: Fields, options: DataExportOptions, who: string): Detection | undefined {
  const rows = firstNumber(fields, rowKeys);
  if (rows !== undefined && rows[1] >= options.maxRows) {
    return {
      type: 'large_data_export',
      severity: rows[1] >= options.maxRows * 10 ? 'high' : 'medium',
      reason: `${rows[1]} rows (${rows[0]}) exported${who}, threshold ${options.maxRows}`,
    };
  }
  const bytes = firstNumber(fields, byteKeys);
  if (bytes !== undefined && bytes[1] >= options.maxBytes) {
    return {
      type: 'large_data_export',
      severity: bytes[1] >= options.maxBytes * 10 ? 'high' : 'medium',
      reason: `${bytes[1]} bytes (${bytes[0]}) sent${who}, threshold ${options.maxBytes}`,
    };
  }
  return undefined;
}
