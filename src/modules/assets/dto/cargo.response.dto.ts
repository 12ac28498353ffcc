import { ApiPropertyOptional } from '@nestjs/swagger';
import { COMMODITY_NAMES } from '../../trading/domain/commodities.js';

/**
 * A ship's holds (or a sum of them): units by commodity. Only commodities aboard are named; a hold emptied to 0
 * is removed (applyCargoChanges, apply_trade), so every value is at least 1.
 */
export class CargoDto {}
// One optional property per commodity, from the commodity table, so the schema names exactly the keys a hold has.
for (const commodity of COMMODITY_NAMES)
  ApiPropertyOptional({ type: 'integer', minimum: 1 })(CargoDto.prototype, commodity);
