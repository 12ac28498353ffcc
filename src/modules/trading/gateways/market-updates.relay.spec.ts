import { describe, expect, it } from '@jest/globals';
import type { AppConfig } from '../../../config/app-config.js';
import type { DatabaseAvailability } from '../../../infrastructure/database/database-availability.js';
import type { RealtimeHub } from '../../../infrastructure/websocket/realtime-hub.service.js';
import type { DataSource } from 'typeorm';
import { MarketChangedEvent } from '../events/market-changed.event.js';
import { MarketUpdatesRelay } from './market-updates.relay.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('MarketUpdatesRelay', () => {
  it("ends a window on the market's newest state, whatever order its changes arrived in", async () => {
    const sent: number[] = [];
    const hub = { publish: (_ns: string, m: { data: { version: number } }) => sent.push(m.data.version) };
    const stats = { query: () => Promise.resolve([{ volume_24h: 0, prediction: null }]) };
    const relay = new MarketUpdatesRelay(
      hub as unknown as RealtimeHub,
      stats as unknown as DataSource,
      { skipIfUnavailable: () => false } as unknown as DatabaseAvailability,
      { marketUpdateCoalesceMs: 50 } as AppConfig,
    );
    const change = (version: number) => new MarketChangedEvent('s1', 'ore', 10, 20, 100 - version, version);
    try {
      relay.handle(change(5)); // opens the window
      await sleep(10);
      relay.handle(change(7));
      relay.handle(change(6)); // older than the one waiting: it must not replace it
      await sleep(200);
      expect(sent).toEqual([5, 7]);
    } finally {
      relay.onApplicationShutdown();
    }
  });
});
