import { UserEntity } from '../../modules/auth/entities/user.entity.js';
import { RefreshTokenEntity } from '../../modules/auth/entities/refresh-token.entity.js';
import { PlayerEntity } from '../../modules/players/entities/player.entity.js';
import {
  MarketTransactionEntity,
  PlanetEntity,
  SectorEntity,
  ShipEntity,
  StationEntity,
  StationMarketEntity,
  TeamEntity,
} from '../../modules/galaxy/entities/galaxy.entities.js';
import { AuditLogEntity } from '../../modules/audit/entities/audit-log.entity.js';

/** Every entity, listed explicitly for the same reason as the migrations. */
export const ENTITIES = [
  UserEntity,
  RefreshTokenEntity,
  PlayerEntity,
  TeamEntity,
  SectorEntity,
  StationEntity,
  StationMarketEntity,
  ShipEntity,
  PlanetEntity,
  MarketTransactionEntity,
  AuditLogEntity,
];
