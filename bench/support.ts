/** Pieces every benchmark shares: ports, percentiles, CPU accounting from /proc, and bench fixtures. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import type pg from 'pg';
import { quantileFromBuckets } from '../src/infrastructure/metrics/metrics.service.js';
import { priceFor } from '../src/modules/trading/domain/pricing.js';

/** A port nothing listens on right now (other benchmarks may run on this machine). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** The nearest-rank percentile of an ascending array (NaN when empty). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** One Prometheus histogram series as scraped: cumulative bucket counts by upper bound, count and sum. */
export interface HistogramSample {
  buckets: Map<number, number>;
  count: number;
  sum: number;
}

/** Reads histogram `name` from the server's /metrics, for the series whose labels (besides `le`) are `labels`. */
export async function scrapeHistogram(
  base: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<HistogramSample> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const wanted = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  const sample: HistogramSample = { buckets: new Map(), count: 0, sum: 0 };
  for (const m of text.matchAll(/^(\w+?)(?:\{([^}]*)\})? (\S+)$/gm)) {
    const [, series, labelText = '', value] = m;
    const own = new Map([...labelText.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    const le = own.get('le');
    own.delete('le');
    const matches = own.size === wanted.length && wanted.every(([k, v]) => own.get(k) === v);
    if (!matches) continue;
    if (series === `${name}_bucket` && le !== undefined)
      sample.buckets.set(le === '+Inf' ? Infinity : Number(le), Number(value));
    else if (series === `${name}_count`) sample.count = Number(value);
    else if (series === `${name}_sum`) sample.sum = Number(value);
  }
  return sample;
}

/** What a histogram observed between two scrapes, in milliseconds: count, mean and interpolated p50/p95/p99. */
export function histogramBetween(a: HistogramSample, b: HistogramSample) {
  const count = b.count - a.count;
  const cumulative = [...b.buckets.entries()]
    .map(([le, n]): [number, number] => [le, n - (a.buckets.get(le) ?? 0)])
    .sort((x, y) => x[0] - y[0]);
  return {
    count,
    mean: count ? Math.round(((b.sum - a.sum) / count) * 1000 * 100) / 100 : 0,
    p50: quantileFromBuckets(cumulative, count, 0.5),
    p95: quantileFromBuckets(cumulative, count, 0.95),
    p99: quantileFromBuckets(cumulative, count, 0.99),
  };
}

/** USER_HZ on Linux: /proc reports CPU time in these ticks. */
export const TICKS_PER_SECOND = 100;

function ticksOf(stat: string): number {
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime
}

/** CPU ticks one process has used so far (0 once it has gone). */
export function processTicks(pid: number): number {
  try {
    return ticksOf(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return 0;
  }
}

/** Busy and total ticks of the whole machine (all cores). */
export function machineTicks(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = cpu[3]! + cpu[4]!; // idle + iowait
  return { busy: total - idle, total };
}

/** CPU ticks of every process with this exact name (postgres backends, redis-server). */
export function ticksByName(name: string): number {
  const out = spawnSync('sh', [
    '-c',
    `for p in $(pgrep -x ${name}); do cat /proc/$p/stat 2>/dev/null; echo; done`,
  ]);
  let ticks = 0;
  for (const line of out.stdout.toString().split('\n')) if (line.includes(')')) ticks += ticksOf(line);
  return ticks;
}

export const BENCH_COMMODITIES = ['exotic_technology', 'luxury_goods'] as const;

/**
 * `count` Premium Tech stations in sector 1, trading both bench commodities both ways: half full (500,000 of
 * 1,000,000), a treasury no trade can drain, no production, so only trades move their stock. Returns their ids.
 */
export async function createBenchStations(db: pg.Client, count: number): Promise<string[]> {
  await db.query(`INSERT INTO sectors (id, name) VALUES (1, 'Sol') ON CONFLICT DO NOTHING`);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const [row] = (
      await db.query(
        `INSERT INTO stations (sector_id, name, class, treasury) VALUES (1, $1, 11, 1000000000000000) RETURNING id`,
        [`Bench Port ${i}`],
      )
    ).rows;
    for (const c of BENCH_COMMODITIES) {
      const p = priceFor(c, 11, 500_000, 1_000_000);
      await db.query(
        `INSERT INTO station_markets (station_id, commodity, stock, capacity, buys, sells, buy_price, sell_price,
                                      production_rate)
         VALUES ($1, $2, 500000, 1000000, true, true, $3, $4, 0)`,
        [row.id, c, p.buyPrice, p.sellPrice],
      );
    }
    ids.push(row.id as string);
  }
  return ids;
}
