import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { Server } from 'socket.io';
import { redisStreamsAdapter } from '../src/infrastructure/websocket/realtime-io.adapter.js';
import { tcpRelay, type TcpRelay } from './support/tcp-relay.js';
import { eventually } from './support/test-app.js';

jest.setTimeout(30_000);

/**
 * Redis goes away in the seconds between a node's own Redis connect at boot and the start of its Socket.IO
 * server (migrations, module start-up): the adapter's connections for the node's stream reads and
 * subscriptions cannot be made then. Once Redis is back, the node hears the other nodes' messages (their
 * broadcasts, kicks and bans): before, it stayed deaf until restarted, with an unhandled rejection per
 * connection. Two Socket.IO servers with the node's own adapter; A reaches Redis through a relay.
 */
const withRedis = Boolean(process.env.TEST_REDIS_URL);

(withRedis ? describe : describe.skip)('the Socket.IO Redis adapter started while Redis is away', () => {
  const prefix = `sw-test-${randomUUID().slice(0, 8)}:`;
  // The adapter's warnings are the node's log, not this test's output.
  const log = { warn: () => undefined, debug: () => undefined } as unknown as Logger;
  let relay: TcpRelay;
  let redisA: Redis;
  let redisB: Redis;
  let nodeA: Server | undefined;
  let nodeB: Server | undefined;

  beforeAll(async () => {
    relay = await tcpRelay(process.env.TEST_REDIS_URL!, 6379);
    // As RedisModule makes the node's client: lazyConnect, connected at boot.
    redisA = new Redis(relay.url, { lazyConnect: true, maxRetriesPerRequest: 2 });
    redisA.on('error', () => undefined);
    await redisA.connect();
    redisB = new Redis(process.env.TEST_REDIS_URL!, { lazyConnect: true });
    await redisB.connect();
  });
  afterAll(async () => {
    await relay?.up();
    await nodeA?.close();
    await nodeB?.close();
    redisA?.disconnect();
    redisB?.disconnect();
    await relay?.close();
  });

  it('a node whose adapter starts in a Redis outage hears the other nodes once Redis is back', async () => {
    await relay.down();
    nodeA = new Server({ adapter: redisStreamsAdapter(redisA, prefix, log) }).listen(0);
    const heard: unknown[] = [];
    nodeA.of('/admin').on('probe', (n: unknown) => heard.push(n));
    // Its connections are refused meanwhile; then Redis is back.
    await new Promise((r) => setTimeout(r, 500));
    await relay.up();

    nodeB = new Server({ adapter: redisStreamsAdapter(redisB, prefix, log) }).listen(0);
    let sent = 0;
    await eventually(() => {
      nodeB!.of('/admin').serverSideEmit('probe', ++sent);
      return heard.length > 0 ? true : undefined;
    }, 20_000);
    expect(heard.every((n) => typeof n === 'number' && n <= sent)).toBe(true);
  });

  it('a node that closes while Redis is still away: its adapter stops trying to reach it', async () => {
    const relayC = await tcpRelay(process.env.TEST_REDIS_URL!, 6379);
    const redisC = new Redis(relayC.url, { lazyConnect: true, maxRetriesPerRequest: 2 });
    redisC.on('error', () => undefined);
    try {
      await redisC.connect();
      await relayC.down();
      const nodeC = new Server({ adapter: redisStreamsAdapter(redisC, `${prefix}c:`, log) }).listen(0);
      await new Promise((r) => setTimeout(r, 300));
      // What a closing node does: the Socket.IO server, then its own Redis client (RedisLifecycle).
      await nodeC.close();
      redisC.disconnect();
      const before = relayC.accepted();
      await relayC.up();
      // ioredis retries every 50 ms at first, up to 2 s apart: a client still trying would be back by now.
      await new Promise((r) => setTimeout(r, 3000));
      expect(relayC.accepted()).toBe(before);
    } finally {
      redisC.disconnect();
      await relayC.close();
    }
  });
});
