import { ConsoleLogger } from '@nestjs/common';
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
  console.error(isOperatorActionable(err) ? err.message : err);
  process.exit(1);
}

/** A failure whose message alone tells the operator what to do: printed by failStartup without its stack. */
export function isOperatorActionable(err: unknown): err is ConfigError | StartupError {
  return err instanceof ConfigError || err instanceof StartupError;
}

/**
 * Nest's logger while the app is built. Nest logs whatever fails the build, with its stack, before the error
 * reaches failStartup; for an error failStartup prints alone, that was the same message twice, the stack first.
 * Every other line (and every other error) is logged as Nest's console logger does.
 */
export class StartupLogger extends ConsoleLogger {
  override error(message: unknown, ...rest: unknown[]): void {
    if (!isOperatorActionable(message)) super.error(message, ...rest);
  }
}
