import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { Seeder } from './seeder.js';

export interface GalaxySummary {
  sectors: number;
  stations: number;
  players: number;
  demoPlayerHint: string;
}

/** Small enough to seed in a few seconds on PGlite, big enough that the console shows a living galaxy. */
export const DEMO_GALAXY = { sectors: 200, stations: 60, teams: 8, players: 300, seed: 2102 } as const;

/** Seeds the demo galaxy on an empty database at start (SEED_DEMO), and summarises what is there. */
@Injectable()
export class DemoGalaxyService implements OnApplicationBootstrap {
  private readonly logger = new Logger(DemoGalaxyService.name);

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.seedDemo) return;
    const [{ n }] = await this.dataSource.query(`SELECT count(*)::int AS n FROM stations`);
    if (n > 0) return;
    // The seeder takes its own advisory lock and re-checks, so two nodes booting together seed once.
    const report = await new Seeder(this.dataSource).run({
      ...DEMO_GALAXY,
      runMigrations: false, // the database module applied them before any provider started
      onlyIfEmpty: true,
    });
    if (!report.galaxyCreated) return;
    this.logger.log(
      `Seeded the demo galaxy in ${report.timingsMs.total} ms: ${report.counts.sectors} sectors, ` +
        `${report.counts.stations} stations, ${report.counts.teams} teams, ${report.counts.players} players`,
    );
  }

  async summary(): Promise<GalaxySummary> {
    const [row] = await this.dataSource.query(
      `SELECT (SELECT count(*) FROM sectors)::int AS sectors, (SELECT count(*) FROM stations)::int AS stations,
              (SELECT count(*) FROM players)::int AS players`,
    );
    return { ...row, demoPlayerHint: 'register one with POST /api/v1/auth/register' };
  }
}
