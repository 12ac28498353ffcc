import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { ServerResponse } from 'node:http';

/**
 * An AbortSignal that aborts when the connection closes before the answer was written: the client hung up, or
 * a proxy timed out. The response's 'close' also follows every answer sent in full, so only a close before
 * `writableFinished` counts; a response already closed when asked (the client left while guards ran) aborts
 * at once.
 */
export function clientGoneSignal(response: ServerResponse): AbortSignal {
  const gone = new AbortController();
  if (response.destroyed && !response.writableFinished) {
    gone.abort();
  } else {
    response.once('close', () => {
      if (!response.writableFinished) gone.abort();
    });
  }
  return gone.signal;
}

/** The route's clientGoneSignal, for work that should stop once nobody waits for its answer. */
export const ClientGone = createParamDecorator((_: unknown, ctx: ExecutionContext): AbortSignal =>
  clientGoneSignal(ctx.switchToHttp().getResponse<FastifyReply>().raw),
);
