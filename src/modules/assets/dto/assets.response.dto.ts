import { ApiProperty, type ApiPropertyOptions } from '@nestjs/swagger';
import { PLAYER_STATUSES } from '../../players/domain/player-status.js';
import { PlayerPlanetDto, PlayerShipDto, PlayerTradeDto } from '../../players/dto/player.response.dto.js';
import { COMMODITY_NAMES } from '../../trading/domain/commodities.js';
import { CargoDto } from './cargo.response.dto.js';
import { MAX_CARGO, MAX_CREDITS } from './assets.request.dto.js';

const UUIDS: ApiPropertyOptions = { type: [String], format: 'uuid' };

export class AssetsPlayerDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() username: string;
  @ApiProperty({ enum: PLAYER_STATUSES }) status: string;
  @ApiProperty({ description: 'bigint as a decimal string' }) credits: string;
  @ApiProperty({ type: 'integer', minimum: 1, description: 'Send it back with a bulk-update' })
  version: number;
  @ApiProperty({ type: 'integer', minimum: 1 }) current_sector: number;
}

export class AssetsShipDto extends PlayerShipDto {
  @ApiProperty({ type: 'integer', minimum: 0, description: 'capacity - cargo_used' }) cargo_free: number;
}

export class LedgerEntryDto extends PlayerTradeDto {
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'null: the ship is gone' })
  ship_id: string | null;
}

/** GET /admin/players/{id}/assets/detailed. */
export class AssetsDetailedDto {
  @ApiProperty({ type: AssetsPlayerDto }) player: AssetsPlayerDto;
  @ApiProperty({ description: 'player.credits again (bigint decimal string)' }) credits: string;
  @ApiProperty({ type: [AssetsShipDto] }) ships: AssetsShipDto[];
  @ApiProperty({ type: CargoDto, description: 'Units by commodity over every ship' }) cargo_totals: CargoDto;
  @ApiProperty({ type: [PlayerPlanetDto] }) planets: PlayerPlanetDto[];
  @ApiProperty({ type: [LedgerEntryDto], maxItems: 50, description: 'Newest first' })
  recent_ledger: LedgerEntryDto[];
}

export class TransferredCreditsDto {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_CREDITS }) amount: number;
  @ApiProperty({ description: "The giver's credits after (bigint decimal string)" }) from_after: string;
  @ApiProperty({ description: "The receiver's credits after (bigint decimal string)" }) to_after: string;
}

export class TransferredCargoDto {
  @ApiProperty({ format: 'uuid' }) from_ship_id: string;
  @ApiProperty({ format: 'uuid' }) to_ship_id: string;
  @ApiProperty({ enum: COMMODITY_NAMES }) commodity: string;
  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_CARGO }) quantity: number;
}

/** POST /admin/players/{id}/assets/transfer: what moved. A replay of its Idempotency-Key returns this body. */
export class TransferResultDto {
  @ApiProperty({ format: 'uuid' }) from_player_id: string;
  @ApiProperty({ format: 'uuid' }) to_player_id: string;
  @ApiProperty({ type: TransferredCreditsDto, nullable: true, description: 'null: no credits moved' })
  credits: TransferredCreditsDto | null;
  @ApiProperty(UUIDS) ship_ids: string[];
  @ApiProperty(UUIDS) planet_ids: string[];
  @ApiProperty({ type: TransferredCargoDto, nullable: true, description: 'null: no cargo moved' })
  cargo: TransferredCargoDto | null;
}

export class ShipCargoDto {
  @ApiProperty({ format: 'uuid' }) ship_id: string;
  @ApiProperty({ type: CargoDto, description: 'The holds after the change' }) cargo: CargoDto;
  @ApiProperty({ type: 'integer', minimum: 0 }) cargo_used: number;
}

/** PUT /admin/players/{id}/assets/bulk-update: what changed. A replay of its Idempotency-Key returns this body. */
export class BulkUpdateAssetsResultDto {
  @ApiProperty({ format: 'uuid' }) player_id: string;
  @ApiProperty({ type: 'integer', minimum: 1, description: 'The player version after the change' })
  version: number;
  @ApiProperty({ description: 'Credits after (bigint decimal string)' }) credits: string;
  @ApiProperty(UUIDS) ships_added: string[];
  @ApiProperty(UUIDS) ships_updated: string[];
  @ApiProperty(UUIDS) ships_removed: string[];
  @ApiProperty({ type: [ShipCargoDto], description: 'Each ship whose cargo changed' }) cargo: ShipCargoDto[];
  @ApiProperty(UUIDS) planets_assigned: string[];
  @ApiProperty(UUIDS) planets_released: string[];
}
