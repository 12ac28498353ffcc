import type { DestinationStream } from 'pino';

/** One JSON line an app wrote, parsed, and as written (`raw`). */
export interface LogLine {
  level: number;
  msg: string;
  context?: string;
  raw: string;
  [field: string]: unknown;
}

/** pino's numeric levels. */
export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/**
 * The JSON log lines an app writes, as an operator would read them on stdout: startTestApp sends its logs here
 * when given one (with LOG_LEVEL at the level the test reads).
 *
 * nestjs-pino builds one pino-http instance per process (per test file, each of which jest loads on its own):
 * the first app a file starts decides the destination and the level of every app the file starts after it. So
 * a file keeps one CapturedLogs, gives it to all its apps, and tells their lines apart by what they say.
 */
export class CapturedLogs implements DestinationStream {
  readonly lines: LogLine[] = [];

  write(chunk: string): void {
    for (const raw of chunk.split('\n')) if (raw) this.lines.push({ ...(JSON.parse(raw) as LogLine), raw });
  }

  /** The lines written since `from` (a length of `lines` taken earlier), or all of them. */
  since(from = 0): LogLine[] {
    return this.lines.slice(from);
  }
}

/** Whether the line carries a stack trace (a JSON-escaped newline followed by an "at" frame). */
export const hasStack = (line: LogLine) => /\\n\s+at /.test(line.raw);

/** The lines about one HTTP request: pino-http's access line (req.id) and the app's own (reqId). */
export const ofRequest = (lines: LogLine[], requestId: string) =>
  lines.filter((l) => l.reqId === requestId || (l.req as { id?: string } | undefined)?.id === requestId);
