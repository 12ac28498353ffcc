/**
 * npm run bench:realtime — one server node (child process, `node dist/src/main.js`) on real Postgres and Redis,
 * 2,000 concurrent socket.io clients, driven by real trades.
 *
 * Clients (one WebSocket connection each, transports: ['websocket']), spread over BENCH_CLIENT_WORKERS (2) worker
 * threads, each with its own event loop, so one thread's work on a burst does not delay another's receipts (real
 * clients are separate devices; the main thread only drives the trades):
 *  - BENCH_PLAYERS (1,600) players, each one connection multiplexing two namespace sockets, as a game client
 *    does: /player (its personal channel) and /market, subscribed with market_subscribe to the commodities the
 *    bench trades (BENCH_MARKET_COMMODITIES of them, default both);
 *  - BENCH_ADMINS (400) admins on /admin, subscribed to players 'all' (every update type).
 *
 * Traffic: BENCH_RATE trades per second (a fixed arrival rate, open loop), each a real
 * POST /api/v1/trading/trades with its own Idempotency-Key, made by the connected players in turn (the player's
 * own token), at BENCH_STATIONS "source" stations where players only buy and as many "sink" stations where
 * they only sell (Premium Tech, exotic_technology and luxury_goods, production rate 0). Trades go round robin
 * over the station/commodity pairs, so on each pair the stock only falls (sources) or only rises (sinks): the
 * stock in a market_update names the one trade that produced it. One committed trade becomes, through the
 * event bus: player_update trade and player_update credits for every admin, assets_changed (trade, credits)
 * on the trader's /player socket, and a market_update (coalesced per station and commodity, 100 ms) for every
 * /market subscriber of the commodity. metrics_update (5 s) and whatever else arrives is counted too.
 *
 * Latency, two paths, both from the trade's commit:
 *  (a) commit → the admin's receipt of player_update (update_type trade), matched by trade_id;
 *  (b) commit → a subscribed player's receipt of the market_update carrying the stock that trade left.
 * The commit happens at an unknown instant inside the trade request, between the moment the generator sent
 * it (t_sent) and the moment the answer arrived (t_answer); the server pushes the events right after the
 * commit, before it writes the HTTP answer. Server and generator share this machine's clock. Each receipt
 * (t_recv) gives two bounds on its true commit → receipt latency:
 *  - upper bound `sent_to_receipt` = t_recv − t_sent: adds the request's way in, its queue and the whole
 *    transaction (the trade's own latency), so a conservative figure;
 *  - lower bound `published_to_receipt` = t_recv − envelope.timestamp: the server stamps the envelope when the
 *    event handler publishes it, after Node has seen the COMMIT succeed, so this is delivery only (the stamp
 *    has millisecond resolution: the bound can be up to 1 ms high). It misses only the instant between the
 *    commit and Node seeing it, so it is the closest measure of "from the commit" the generator has.
 * t_recv − t_answer is reported too (often negative: the events leave before the answer). The generator's own
 * event-loop delay is reported, as it inflates every receipt time.
 *
 * Machine: 2 cores shared by the server, Postgres, Redis and this generator; CPU is reported as a share of the
 * 2 cores for each (postgres: every postgres process, other databases' work included, so an upper bound),
 * with what the rest of the machine used, and the load average; also as ms per committed trade, and their sum
 * over the cores (`cpu_bound_ms_per_trade`: the wall time the cores need for one trade's work if nothing ever
 * waited; a burst's last market receipts need most of that work done first). Signatures are verified on a
 * sample (every BENCH_VERIFY_EVERY-th message of each socket) with the reference implementation.
 *
 * Env: BENCH_DATABASE_URL (admin URL, default postgres://postgres@127.0.0.1:5432/postgres; the bench creates
 * and drops sw_bench_realtime on it), BENCH_REDIS_URL (redis://127.0.0.1:6379; the run's keys are dropped at
 * the end), BENCH_PLAYERS (1600), BENCH_ADMINS (400), BENCH_RATE (trades/s, 10), BENCH_SECONDS (20),
 * BENCH_WARMUP (3), BENCH_STATIONS (8 sources + 8 sinks), BENCH_MARKET_COMMODITIES (2), BENCH_VERIFY_EVERY (50),
 * BENCH_CLIENT_WORKERS (2), BENCH_PORT (a free one), BENCH_SERVER_NODE_ARGS (extra node flags for the server, e.g. --cpu-prof).
 * Result: JSON on stdout and in bench/results/realtime-<time>.json (ignored by git).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Redis } from 'ioredis';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import { Manager, type Socket } from 'socket.io-client';
import { verifyEnvelope, type Envelope } from '../src/infrastructure/websocket/envelope.js';
import {
  BENCH_COMMODITIES,
  createBenchStations,
  freePort,
  histogramBetween,
  machineTicks,
  percentile,
  processTicks,
  scrapeHistogram,
  ticksByName,
  TICKS_PER_SECOND,
} from './support.js';

const env = process.env;
const ADMIN_URL = env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PLAYERS = Number(env.BENCH_PLAYERS ?? 1600);
const ADMINS = Number(env.BENCH_ADMINS ?? 400);
const RATE = Number(env.BENCH_RATE ?? 10);
const SECONDS = Number(env.BENCH_SECONDS ?? 20);
const WARMUP = Number(env.BENCH_WARMUP ?? 3);
const STATIONS = Number(env.BENCH_STATIONS ?? 8);
const VERIFY_EVERY = Number(env.BENCH_VERIFY_EVERY ?? 50);
const COMMODITIES = BENCH_COMMODITIES;
const SUBSCRIBED = COMMODITIES.slice(0, Number(env.BENCH_MARKET_COMMODITIES ?? 2));
const QUANTITY = 5;
/** Threads the clients are spread over (each its own event loop, as real clients are separate devices). */
const CLIENT_WORKERS = Math.max(1, Number(env.BENCH_CLIENT_WORKERS ?? 2));
let PORT = Number(env.BENCH_PORT ?? 0);
const DB_NAME = 'sw_bench_realtime';
const REDIS_PREFIX = `sw-bench-rt-${process.pid}:`;
const SECRET = 'bench-realtime-secret-that-is-long-enough-0123456789';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Wall-clock milliseconds with sub-millisecond resolution (comparable with the server's Date on this machine). */
const now = () => performance.timeOrigin + performance.now();

function summary(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  const r = (n: number | undefined) => (n === undefined ? null : Math.round(n * 10) / 10);
  return {
    n: s.length,
    p50: r(percentile(s, 50)),
    p95: r(percentile(s, 95)),
    p99: r(percentile(s, 99)),
    max: r(s.at(-1)),
  };
}

function token(sub: string, role: string, pid: string | null): string {
  return jwt.sign({ sub, usr: `bench_${sub.slice(0, 8)}`, role, pid }, SECRET, {
    algorithm: 'HS256',
    issuer: 'sectorwars-gameserver',
    audience: 'sectorwars-clients',
    expiresIn: 3600,
  });
}

// --- CPU accounting (Linux /proc) ---

interface CpuSample {
  at: number;
  server: number;
  generator: number;
  postgres: number;
  redis: number;
  machine: { busy: number; total: number };
}

function cpuSample(serverPid: number): CpuSample {
  const gen = process.cpuUsage();
  return {
    at: now(),
    server: processTicks(serverPid),
    generator: ((gen.user + gen.system) / 1e6) * TICKS_PER_SECOND,
    postgres: ticksByName('postgres'),
    redis: ticksByName('redis-server'),
    machine: machineTicks(),
  };
}

function cpuShares(a: CpuSample, b: CpuSample) {
  const cores = os.cpus().length;
  const wall = (b.at - a.at) / 1000;
  const share = (ticks: number) => Math.round((ticks / TICKS_PER_SECOND / wall / cores) * 100) / 100;
  const server = share(b.server - a.server);
  const generator = share(b.generator - a.generator);
  const postgres = share(b.postgres - a.postgres);
  const redis = share(b.redis - a.redis);
  const busy = (b.machine.busy - a.machine.busy) / (b.machine.total - a.machine.total);
  return {
    cores,
    server,
    load_generator: generator,
    postgres,
    redis,
    machine_busy: Math.round(busy * 100) / 100,
    everything_else: Math.max(0, Math.round((busy - server - generator - postgres - redis) * 100) / 100),
  };
}

// --- Database and server ---

async function adminQuery(sql: string): Promise<void> {
  // The Postgres is shared with other work on this machine: retry a terminated session.
  for (let attempt = 1; ; attempt++) {
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    admin.on('error', () => undefined);
    try {
      await admin.connect();
      await admin.query(sql);
      return;
    } catch (err) {
      if (attempt >= 5) throw err;
      console.warn(`retrying "${sql}": ${(err as Error).message}`);
      await sleep(500);
    } finally {
      await admin.end().catch(() => undefined);
    }
  }
}

async function resetDatabase(): Promise<string> {
  await adminQuery(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE ${DB_NAME}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${DB_NAME}`;
  return url.toString();
}

async function startServer(databaseUrl: string): Promise<ChildProcess> {
  if (PORT === 0) PORT = await freePort();
  // BENCH_SERVER_NODE_ARGS (e.g. "--cpu-prof") goes to the server's node only, for profiling a run.
  const nodeArgs = (env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, 'dist/src/main.js'], {
    env: {
      PATH: env.PATH,
      NODE_ENV: 'production',
      PORT: String(PORT),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      REDIS_KEY_PREFIX: REDIS_PREFIX,
      JWT_SECRET: SECRET,
      SEED_DEMO: 'false',
      SWAGGER_ENABLED: 'false',
      LOG_LEVEL: 'warn',
      THROTTLE_LIMIT: '1000000',
      TRADE_RATE_LIMIT: '1000000',
      // Every admin socket of the bench is one user's (bench_admin): 400 handshakes in the first seconds.
      WS_HANDSHAKE_RATE_LIMIT: '1000000',
      DB_POOL_SIZE: '20',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 300; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${PORT}/health/ready`);
      if (res.ok) return child;
    } catch {
      /* not up yet */
    }
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    await sleep(200);
  }
  child.kill('SIGKILL');
  throw new Error('server did not become ready');
}

interface Fixtures {
  adminId: string;
  players: { id: string; user_id: string }[];
  sources: string[];
  sinks: string[];
}

/**
 * Sector 1 with 2 × STATIONS Premium Tech stations (half full, deep treasuries, no production, so only the
 * trades move their stock) and PLAYERS players in it, each with a cargo hauler holding 200 units of each
 * traded commodity (room to buy, goods to sell) and ample credits.
 */
async function fixtures(databaseUrl: string): Promise<Fixtures> {
  const db = new pg.Client({ connectionString: databaseUrl });
  db.on('error', (err) => console.warn(`fixtures connection: ${err.message}`));
  await db.connect();
  const stations = await createBenchStations(db, 2 * STATIONS);
  const [adminUser] = (
    await db.query(
      `INSERT INTO users (username, password_hash, role) VALUES ('bench_admin', 'x', 'admin') RETURNING id`,
    )
  ).rows;
  const players = (
    await db.query(
      `WITH u AS (
         INSERT INTO users (username, password_hash, role)
         SELECT 'bench_p' || g, 'x', 'player' FROM generate_series(1, $1) g RETURNING id, username)
       INSERT INTO players (user_id, username, email, credits, current_sector, home_sector)
       SELECT id, username, username || '@bench.test', 1000000000000, 1, 1 FROM u RETURNING id, user_id`,
      [PLAYERS],
    )
  ).rows as { id: string; user_id: string }[];
  await db.query(
    `WITH s AS (
       INSERT INTO ships (player_id, name, type, sector_id, capacity, cargo, cargo_used)
       SELECT id, username || '''s hauler', 'cargo_hauler', 1, 1000, $1::jsonb, 400 FROM players
       RETURNING id, player_id)
     UPDATE players p SET active_ship_id = s.id FROM s WHERE s.player_id = p.id`,
    [JSON.stringify(Object.fromEntries(COMMODITIES.map((c) => [c, 200])))],
  );
  await db.end();
  return {
    adminId: adminUser.id as string,
    players,
    sources: stations.slice(0, STATIONS),
    sinks: stations.slice(STATIONS),
  };
}

// --- Clients ---

class Stats {
  measuring = false;
  windowStart = 0;
  windowEnd = Infinity;
  /** Messages received inside the measured window, by type. */
  byType: Record<string, number> = {};
  received = 0;
  verified = 0;
  badSignatures = 0;
  /** trade_id → receipts of player_update trade (t_recv, publish stamp). */
  adminReceipts = new Map<string, { recv: number[]; published: number }>();
  /** station:commodity:stock → receipts of market_update. */
  marketReceipts = new Map<string, { recv: number[]; published: number }>();
}

function record(
  map: Map<string, { recv: number[]; published: number }>,
  key: string,
  at: number,
  e: Envelope,
) {
  const entry = map.get(key);
  if (entry) entry.recv.push(at);
  else map.set(key, { recv: [at], published: Date.parse(e.timestamp) });
}

type Receipts = Map<string, { recv: number[]; published: number }>;

/** What a client thread reports when the run ends (structured-clone friendly). */
interface ShardReport {
  received: number;
  byType: Record<string, number>;
  verified: number;
  badSignatures: number;
  adminReceipts: [string, { recv: number[]; published: number }][];
  marketReceipts: [string, { recv: number[]; published: number }][];
  lags: number[];
  stillConnected: number;
}

type ToShard = { type: 'window'; start: number } | { type: 'end'; end: number } | { type: 'collect' };
type FromShard =
  | { type: 'ready'; clients: number; sockets: number; refused: number }
  | { type: 'report'; report: ShardReport };

function mergeReceipts(into: Receipts, from: ShardReport['adminReceipts']): void {
  for (const [key, entry] of from) {
    const have = into.get(key);
    if (have) have.recv.push(...entry.recv);
    else into.set(key, { recv: [...entry.recv], published: entry.published });
  }
}

/**
 * A client thread: connects its share of players and admins, subscribes them, and records what they receive
 * inside the window the main thread announces; reports when asked, then closes its sockets.
 */
async function clientShard(): Promise<void> {
  const data = workerData as { base: string; playerTokens: string[]; admins: number; adminToken: string };
  const port = parentPort!;
  const stats = new Stats();
  const loop = new LoopLag();
  const players = await connectAll(
    data.playerTokens.map((t) => ({ token: t, namespaces: ['/player', '/market'] })),
    stats,
    data.base,
  );
  const admins = await connectAll(
    Array.from({ length: data.admins }, () => ({ token: data.adminToken, namespaces: ['/admin'] })),
    stats,
    data.base,
  );
  const answers = await Promise.all([
    ...admins.map((c) => ack(c.sockets.get('/admin')!, 'subscribe', { players: 'all' })),
    ...players.map((c) => ack(c.sockets.get('/market')!, 'market_subscribe', { commodities: SUBSCRIBED })),
  ]);
  const all = [...players, ...admins];
  port.on('message', (m: ToShard) => {
    if (m.type === 'window') {
      stats.windowStart = m.start;
      stats.measuring = true;
      loop.start();
    } else if (m.type === 'end') {
      stats.windowEnd = m.end;
      loop.stop();
    } else {
      stats.measuring = false;
      const report: ShardReport = {
        received: stats.received,
        byType: stats.byType,
        verified: stats.verified,
        badSignatures: stats.badSignatures,
        adminReceipts: [...stats.adminReceipts],
        marketReceipts: [...stats.marketReceipts],
        lags: loop.lags,
        stillConnected: all.filter((c) => [...c.sockets.values()].every((s) => s.connected)).length,
      };
      for (const c of all) for (const s of c.sockets.values()) s.disconnect();
      port.postMessage({ type: 'report', report } satisfies FromShard);
      port.close();
    }
  });
  port.postMessage({
    type: 'ready',
    clients: all.length,
    sockets: all.reduce((n, c) => n + c.sockets.size, 0),
    refused: answers.filter((a) => a.type === 'error').length,
  } satisfies FromShard);
}

/** Starts the client threads, each with an equal share of players and admins; resolves when all are ready. */
async function startShards(
  base: string,
  playerTokens: string[],
  adminToken: string,
): Promise<{ workers: Worker[]; ready: Extract<FromShard, { type: 'ready' }>[] }> {
  const workers = Array.from(
    { length: CLIENT_WORKERS },
    (_, i) =>
      new Worker(new URL(import.meta.url), {
        workerData: {
          base,
          playerTokens: playerTokens.filter((_, j) => j % CLIENT_WORKERS === i),
          admins: Math.floor(ADMINS / CLIENT_WORKERS) + (i < ADMINS % CLIENT_WORKERS ? 1 : 0),
          adminToken,
        },
      }),
  );
  const ready = await Promise.all(workers.map((w) => nextMessage(w, 'ready')));
  return { workers, ready };
}

function nextMessage<T extends FromShard['type']>(
  w: Worker,
  type: T,
): Promise<Extract<FromShard, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: FromShard) => {
      if (m.type !== type) return;
      w.off('message', onMessage);
      w.off('error', reject);
      resolve(m as Extract<FromShard, { type: T }>);
    };
    w.on('message', onMessage);
    w.once('error', reject);
  });
}

interface ClientSpec {
  token: string;
  namespaces: string[];
}

interface Client {
  manager: Manager;
  sockets: Map<string, Socket>;
}

/** Opens one connection per spec with its namespace sockets multiplexed on it; resolves once all are established. */
async function connectAll(specs: ClientSpec[], stats: Stats, base: string): Promise<Client[]> {
  const clients: Client[] = [];
  let next = 0;
  const worker = async () => {
    while (next < specs.length) {
      const spec = specs[next++]!;
      const manager = new Manager(base, { transports: ['websocket'], reconnection: false, timeout: 20_000 });
      const sockets = new Map<string, Socket>();
      const ready: Promise<void>[] = [];
      for (const ns of spec.namespaces) {
        const socket = manager.socket(ns, { auth: { token: spec.token } });
        let key: Buffer | undefined;
        let n = 0;
        socket.onAny((event: string, e: Envelope) => {
          const at = now();
          if (event === 'connection_established') {
            key = Buffer.from((e.data as { session_key: string }).session_key, 'base64url');
          }
          if (!stats.measuring) return;
          if (at >= stats.windowStart && at < stats.windowEnd) {
            stats.received += 1;
            stats.byType[event] = (stats.byType[event] ?? 0) + 1;
          }
          // Verify a sample: the generator shares the 2 cores with the server.
          if (++n % VERIFY_EVERY === 0 && key) {
            stats.verified += 1;
            if (!verifyEnvelope(e, key)) stats.badSignatures += 1;
          }
          if (event === 'player_update') {
            const u = e.data as { update_type: string; data: { trade_id?: string } };
            if (u.update_type === 'trade' && u.data.trade_id)
              record(stats.adminReceipts, u.data.trade_id, at, e);
          } else if (event === 'market_update') {
            const m = e.data as { station_id: string; commodity: string; stock: number };
            record(stats.marketReceipts, `${m.station_id}:${m.commodity}:${m.stock}`, at, e);
          }
        });
        ready.push(
          new Promise<void>((resolve, reject) => {
            socket.once('connect_error', reject);
            socket.once('connection_established', () => resolve());
          }),
        );
        sockets.set(ns, socket);
      }
      await Promise.all(ready);
      clients.push({ manager, sockets });
    }
  };
  await Promise.all(Array.from({ length: 50 }, worker));
  return clients;
}

function ack(socket: Socket, event: string, body: unknown): Promise<Envelope & { success?: boolean }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ack for ${event}`)), 30_000);
    socket.emit(event, body, (answer: Envelope & { success?: boolean }) => {
      clearTimeout(timer);
      resolve(answer);
    });
  });
}

/** How late a 5 ms timer fires in the generator: its own share of every receipt time. */
class LoopLag {
  readonly lags: number[] = [];
  private timer?: NodeJS.Timeout;

  start(): void {
    let last = now();
    this.timer = setInterval(() => {
      const t = now();
      this.lags.push(Math.max(0, t - last - 5));
      last = t;
    }, 5);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

// --- Trades ---

interface Trade {
  sent: number;
  answered?: number;
  status?: number;
  tradeId?: string;
  marketKey?: string;
  code?: string;
}

function postTrade(
  agent: http.Agent,
  token: string,
  body: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: PORT,
        path: '/api/v1/trading/trades',
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          'idempotency-key': randomUUID(),
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function main(): Promise<void> {
  const pairs = 2 * STATIONS * COMMODITIES.length;
  console.log(
    `bench:realtime: ${PLAYERS} players (/player + /market, ${SUBSCRIBED.length} commodities) + ${ADMINS} admins ` +
      `(/admin, all); ${RATE} trades/s over ${pairs} station/commodity pairs for ${SECONDS} s (+${WARMUP} s warm-up)`,
  );
  const databaseUrl = await resetDatabase();
  const server = await startServer(databaseUrl);
  const base = `http://127.0.0.1:${PORT}`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const loop = new LoopLag();
  try {
    const fx = await fixtures(databaseUrl);
    const playerTokens = fx.players.map((p) => token(p.user_id, 'player', p.id));
    const adminToken = token(fx.adminId, 'admin', null);

    let t0 = now();
    const shards = await startShards(base, playerTokens, adminToken);
    const connectSeconds = (now() - t0) / 1000;
    const clientsHeld = shards.ready.reduce((n, r) => n + r.clients, 0);
    const namespaceSockets = shards.ready.reduce((n, r) => n + r.sockets, 0);
    const refusedSubscriptions = shards.ready.reduce((n, r) => n + r.refused, 0);
    const tell = (m: ToShard) => shards.workers.forEach((w) => w.postMessage(m));
    console.log(
      `connected ${clientsHeld} clients (${namespaceSockets} namespace sockets) on ${CLIENT_WORKERS} client ` +
        `threads in ${connectSeconds.toFixed(1)} s`,
    );

    // Trade n: pair n mod pairs (sources: buy, sinks: sell), by player n mod PLAYERS.
    const trades: Trade[] = [];
    const inflight = new Set<Promise<void>>();
    const trade = (n: number) => {
      const pair = n % pairs;
      const sell = pair >= pairs / 2;
      const station = (sell ? fx.sinks : fx.sources)[Math.floor((pair % (pairs / 2)) / COMMODITIES.length)]!;
      const commodity = COMMODITIES[pair % COMMODITIES.length]!;
      const body = JSON.stringify({
        station_id: station,
        commodity,
        action: sell ? 'sell' : 'buy',
        quantity: QUANTITY,
        ...(sell ? { min_unit_price: 0 } : { max_unit_price: 1_000_000 }),
      });
      const t: Trade = { sent: now() };
      const p = postTrade(agent, playerTokens[n % playerTokens.length]!, body)
        .then((res) => {
          t.answered = now();
          t.status = res.status;
          const parsed = JSON.parse(res.body) as {
            data?: { trade_id: string; market: { stock: number } };
            error?: string;
          };
          if (res.status === 201 && parsed.data) {
            t.tradeId = parsed.data.trade_id;
            t.marketKey = `${station}:${commodity}:${parsed.data.market.stock}`;
          } else t.code = parsed.error ?? String(res.status);
        })
        .catch((err: Error) => {
          t.code = err.message;
        })
        .finally(() => inflight.delete(p));
      inflight.add(p);
      return t;
    };

    let sent = 0;
    const run = async (seconds: number, keep: boolean) => {
      const start = now();
      let due = 0;
      while (now() - start < seconds * 1000) {
        const target = Math.floor(((now() - start) / 1000) * RATE);
        while (due < target) {
          const t = trade(sent++);
          if (keep) trades.push(t);
          due += 1;
        }
        await sleep(2);
      }
    };

    await run(WARMUP, false);
    await Promise.all(inflight);
    await sleep(500);
    loop.start();
    const load0 = os.loadavg();
    const fanout = (namespace: string, type: string) =>
      scrapeHistogram(base, 'realtime_delivery_seconds', { namespace, type });
    const fanout0 = {
      admin: await fanout('/admin', 'player_update'),
      market: await fanout('/market', 'market_update'),
    };
    const cpu0 = cpuSample(server.pid!);
    t0 = now();
    tell({ type: 'window', start: t0 });
    await run(SECONDS, true);
    const windowEnd = now();
    tell({ type: 'end', end: windowEnd });
    const cpu1 = cpuSample(server.pid!);
    const load1 = os.loadavg();
    loop.stop();
    await Promise.all(inflight);
    await sleep(2000); // let the last trades' deliveries land (they count for latency, not for msgs/s)
    const fanout1 = {
      admin: await fanout('/admin', 'player_update'),
      market: await fanout('/market', 'market_update'),
    };
    const reports = await Promise.all(
      shards.workers.map((w) => {
        const report = nextMessage(w, 'report');
        w.postMessage({ type: 'collect' } satisfies ToShard);
        return report.then((m) => m.report);
      }),
    );
    const stats = new Stats();
    for (const r of reports) {
      stats.received += r.received;
      stats.verified += r.verified;
      stats.badSignatures += r.badSignatures;
      for (const [type, n] of Object.entries(r.byType)) stats.byType[type] = (stats.byType[type] ?? 0) + n;
      mergeReceipts(stats.adminReceipts, r.adminReceipts);
      mergeReceipts(stats.marketReceipts, r.marketReceipts);
    }
    const wall = (windowEnd - t0) / 1000;

    // Join receipts to trades.
    const committed = trades.filter((t) => t.tradeId !== undefined);
    const failures: Record<string, number> = {};
    for (const t of trades)
      if (t.tradeId === undefined) failures[t.code ?? '?'] = (failures[t.code ?? '?'] ?? 0) + 1;
    const path = () => ({
      sent: [] as number[],
      published: [] as number[],
      answered: [] as number[],
      receipts: 0,
      seen: 0,
    });
    const paths = { admin: path(), market: path() };
    for (const t of committed) {
      for (const [path, entry] of [
        ['admin', stats.adminReceipts.get(t.tradeId!)],
        ['market', stats.marketReceipts.get(t.marketKey!)],
      ] as const) {
        if (!entry) continue;
        const p = paths[path];
        p.seen += 1;
        for (const recv of entry.recv) {
          p.receipts += 1;
          p.sent.push(recv - t.sent);
          p.published.push(recv - entry.published);
          p.answered.push(recv - t.answered!);
        }
      }
    }
    const tradeLatency = committed.map((t) => t.answered! - t.sent);
    const latency = (p: (typeof paths)['admin']) => ({
      sent_to_receipt_upper_bound: summary(p.sent),
      published_to_receipt_lower_bound: summary(p.published),
      answer_to_receipt: summary(p.answered),
    });
    const shares = cpuShares(cpu0, cpu1);
    // CPU per committed trade, and what it implies: the cores need (everything's CPU per trade / cores) of
    // wall time for one trade's work even if no process ever waited for another. All but a small part of it
    // (the admins' credits updates, the 5 s ticks) comes before a burst's last market receipts.
    const perTrade = (ticks: number) =>
      Math.round(((ticks / TICKS_PER_SECOND) * 1000 * 10) / Math.max(1, committed.length)) / 10;
    const cpuPerTrade = {
      server: perTrade(cpu1.server - cpu0.server),
      load_generator: perTrade(cpu1.generator - cpu0.generator),
      postgres: perTrade(cpu1.postgres - cpu0.postgres),
      redis: perTrade(cpu1.redis - cpu0.redis),
    };
    const allPerTrade =
      cpuPerTrade.server + cpuPerTrade.load_generator + cpuPerTrade.postgres + cpuPerTrade.redis;
    const report = {
      at: new Date().toISOString(),
      config: {
        players: PLAYERS,
        admins: ADMINS,
        trades_per_second_offered: RATE,
        seconds: SECONDS,
        stations: 2 * STATIONS,
        pairs,
        market_commodities_per_player: SUBSCRIBED.length,
        verify_every: VERIFY_EVERY,
        client_threads: CLIENT_WORKERS,
      },
      clients_held: clientsHeld,
      namespace_sockets: namespaceSockets,
      still_connected: reports.reduce((n, r) => n + r.stillConnected, 0),
      refused_subscriptions: refusedSubscriptions,
      connect_seconds: Number(connectSeconds.toFixed(1)),
      window_seconds: Number(wall.toFixed(2)),
      trades_sent: trades.length,
      trades_committed: committed.length,
      trades_per_second: Math.round((committed.length / wall) * 10) / 10,
      trade_failures: failures,
      trade_http_latency_ms: summary(tradeLatency),
      delivered_messages: stats.received,
      delivered_per_second: Math.round(stats.received / wall),
      delivered_by_type: stats.byType,
      signatures_verified_sample: stats.verified,
      bad_signatures: stats.badSignatures,
      path_a_trade_to_admin_player_update: {
        trades_seen: paths.admin.seen,
        receipts: paths.admin.receipts,
        expected_receipts: committed.length * ADMINS,
        missing_receipts: committed.length * ADMINS - paths.admin.receipts,
        latency_ms: latency(paths.admin),
      },
      path_b_market_change_to_subscriber: {
        // A trade whose state was folded into a later update (coalescing) is not seen itself.
        trades_seen: paths.market.seen,
        trades_not_seen: committed.length - paths.market.seen,
        receipts: paths.market.receipts,
        expected_receipts_for_seen: paths.market.seen * PLAYERS,
        // Sent volatile: dropped for a socket whose connection is still writing an earlier packet.
        missing_receipts_for_seen: paths.market.seen * PLAYERS - paths.market.receipts,
        latency_ms: latency(paths.market),
      },
      // The server's own side of both paths (realtime_delivery_seconds on /metrics): from publishing a message to
      // handing it to the last of its sockets on this node. The rest of a receipt's latency is the kernel's
      // delivery and the client's own processing.
      server_fanout_ms: {
        admin_player_update: histogramBetween(fanout0.admin, fanout1.admin),
        market_update: histogramBetween(fanout0.market, fanout1.market),
      },
      // Against the targets, which count from the commit: measured from the post-commit stamp (the
      // closest to the commit the generator can see) and, conservatively, from the request's send.
      targets: {
        clients_at_least_2000: clientsHeld >= 2000,
        msgs_per_second_at_least_20000: stats.received / wall >= 20_000,
        trade_to_admin_p99_at_most_50_ms: {
          from_commit_stamp: (summary(paths.admin.published).p99 ?? Infinity) <= 50,
          from_request_send: (summary(paths.admin.sent).p99 ?? Infinity) <= 50,
        },
        market_to_player_p99_at_most_50_ms: {
          from_commit_stamp: (summary(paths.market.published).p99 ?? Infinity) <= 50,
          from_request_send: (summary(paths.market.sent).p99 ?? Infinity) <= 50,
        },
      },
      // How late a 5 ms timer fires: in the trade driver (delays sends) and in each client thread (delays receipts).
      generator_event_loop_lag_ms: {
        trade_driver: summary(loop.lags),
        client_threads: reports.map((r) => summary(r.lags)),
      },
      cpu_share_of_all_cores: shares,
      cpu_ms_per_trade: cpuPerTrade,
      cpu_bound_ms_per_trade: Math.round((allPerTrade / shares.cores) * 10) / 10,
      load_average_1m: { start: Number(load0[0]!.toFixed(2)), end: Number(load1[0]!.toFixed(2)) },
    };
    console.log(JSON.stringify(report, null, 2));
    mkdirSync('bench/results', { recursive: true });
    const file = `bench/results/realtime-${report.at.replace(/[:.]/g, '-')}.json`;
    writeFileSync(file, JSON.stringify(report, null, 2));
    console.log(`written to ${file}`);
  } finally {
    agent.destroy();
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await adminQuery(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
    await dropRedisKeys();
  }
}

/** The server's Redis keys (the Socket.IO stream, sessions, presence, leases) live under this run's prefix. */
async function dropRedisKeys(): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${REDIS_PREFIX}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } catch (err) {
    console.warn(`could not drop the bench's Redis keys: ${(err as Error).message}`);
  } finally {
    redis.disconnect();
  }
}

if (isMainThread) {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
} else {
  clientShard().catch((err) => {
    console.error('client thread failed', err);
    process.exit(1);
  });
}
