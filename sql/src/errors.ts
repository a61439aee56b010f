/** Errors the migrator stops on; `code` is stable, documented in sql/README.md. */
export class MigrationError extends Error {
  constructor(
    readonly code:
      | 'WHODUNIT_MIGRATION_CHECKSUM'
      | 'WHODUNIT_MIGRATION_UNKNOWN'
      | 'WHODUNIT_MIGRATION_FAILED'
      | 'WHODUNIT_CAPTURE_UNAVAILABLE',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MigrationError';
  }
}
