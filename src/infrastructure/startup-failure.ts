import { ConfigError } from '../config/app-config.js';

/** A reason not to start that the operator can act on; its message says what to do. */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * How the server and the CLIs end when they cannot start. A bad configuration or a StartupError (an embedded
 * database another process holds, or one that cannot be read) is printed alone, without a stack trace; anything
 * else is printed whole.
 */
export function failStartup(err: unknown): never {
  console.error(err instanceof ConfigError || err instanceof StartupError ? err.message : err);
  process.exit(1);
}
