import { describe, expect, it } from '@jest/globals';
import type { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { withHandledFireAndForget } from './realtime-io.adapter.js';

describe('the Redis client the Socket.IO adapter is given', () => {
  it('handles the re-subscribe ioredis sends unawaited on a duplicate closed under it; an awaiting caller still sees the rejection', async () => {
    // No Redis needed: nothing listens on port 1, so commands wait in the offline queue, as while reconnecting.
    const base = new Redis({ port: 1, lazyConnect: true });
    const quiet = { debug: () => undefined, warn: () => undefined } as unknown as Logger;
    const subscriber = withHandledFireAndForget(base, quiet).duplicate();
    subscriber.on('error', () => undefined);
    // What ioredis' ready handler does on a reconnected subscriber (nobody awaits it)...
    void subscriber.subscribe('channel');
    const awaited = subscriber.subscribe('other');
    // ...and what the adapter does when the node closes: without the handler, jest fails this test on the
    // unhandled "Connection is closed." rejection.
    subscriber.disconnect();
    await expect(awaited).rejects.toThrow('Connection is closed.');
    base.disconnect();
  });
});
