// Kept for the SQLite-specific callers and tests (schema upgrades of an existing file).
export { type Db, migrate, openDatabase } from './sqlite.js';
