export { migrate, type MigrateOptions, type MigrateResult } from './migrate.js';
export { migrationsDir, readMigrations, checksumOf, type Migration } from './migrations.js';
export { MigrationError } from './errors.js';
