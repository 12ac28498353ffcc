import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

@Entity('teams')
export class TeamEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('text') name: string;
  @Column('text') tag: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}

@Entity('sectors')
export class SectorEntity {
  @PrimaryColumn('integer') id: number;
  @Column('text') name: string;
  @Column('text') region: string;
  @Column('integer', { array: true }) warps: number[];
}

@Entity('stations')
export class StationEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('integer', { name: 'sector_id' }) sectorId: number;
  @Column('text') name: string;
  @Column('smallint') class: number;
  @Column('bigint') treasury: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}

@Entity('station_markets')
export class StationMarketEntity {
  @PrimaryColumn('uuid', { name: 'station_id' }) stationId: string;
  @PrimaryColumn('text') commodity: string;
  @Column('integer') stock: number;
  @Column('integer') capacity: number;
  @Column('boolean') buys: boolean;
  @Column('boolean') sells: boolean;
  @Column('real', { name: 'production_rate' }) productionRate: number;
  @Column('integer', { name: 'buy_price' }) buyPrice: number;
  @Column('integer', { name: 'sell_price' }) sellPrice: number;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}

@Entity('ships')
export class ShipEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'player_id', nullable: true }) playerId: string | null;
  @Column('text') name: string;
  @Column('text') type: string;
  @Column('integer', { name: 'sector_id' }) sectorId: number;
  @Column('integer') capacity: number;
  @Column('jsonb') cargo: Record<string, number>;
  @Column('integer', { name: 'cargo_used' }) cargoUsed: number;
  @Column('integer') hull: number;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}

@Entity('planets')
export class PlanetEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('integer', { name: 'sector_id' }) sectorId: number;
  @Column('uuid', { name: 'owner_id', nullable: true }) ownerId: string | null;
  @Column('text') name: string;
  @Column('text') type: string;
  @Column('bigint') population: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}

@Entity('market_transactions')
export class MarketTransactionEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'player_id' }) playerId: string;
  @Column('uuid', { name: 'station_id' }) stationId: string;
  @Column('uuid', { name: 'ship_id', nullable: true }) shipId: string | null;
  @Column('text') commodity: string;
  @Column('text') action: 'buy' | 'sell';
  @Column('integer') quantity: number;
  @Column('integer', { name: 'unit_price' }) unitPrice: number;
  @Column('bigint') total: string;
  @Column('bigint', { name: 'credits_after' }) creditsAfter: string;
  @Column('text', { name: 'idempotency_key', nullable: true }) idempotencyKey: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
