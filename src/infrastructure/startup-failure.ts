import { ConfigError } from '../config/app-config.js';
import { DataDirLockedError } from './database/data-dir-lock.js';

/**
 * How the server and the CLIs end when they cannot start. A bad configuration or an embedded database another
 * process holds is the operator's to fix, and its message says how: printed alone, without a stack trace.
 * Anything else is printed whole.
 */
export function failStartup(err: unknown): never {
  console.error(err instanceof ConfigError || err instanceof DataDirLockedError ? err.message : err);
  process.exit(1);
}
