import { UNAVAILABLE } from '../../../infrastructure/http/api-errors.decorator.js';

/** The error answers of the trading routes, for ApiErrors: the codes of docs/trading.md's table. */
export const TRADING_ERROR_DOCS = {
  playersOnly: '`TRADING.PLAYERS_ONLY` (a staff account)',
  notActive: '`TRADING.PLAYER_NOT_ACTIVE` (frozen, banned or suspended; `status`)',
  notFound: '`TRADING.STATION_NOT_FOUND`, `TRADING.PLAYER_NOT_FOUND`',
  rules:
    '`TRADING.NOT_IN_SECTOR` (`station_sector`, `player_sector`), `TRADING.NO_ACTIVE_SHIP`, `TRADING.NOT_TRADED`, ' +
    '`TRADING.PRICE_LIMIT` (`unit_price`, `limit`), `TRADING.INSUFFICIENT_CREDITS` (`needed`, `available`), ' +
    '`TRADING.INSUFFICIENT_CARGO_SPACE`, `TRADING.INSUFFICIENT_CARGO`, `TRADING.INSUFFICIENT_STOCK`, ' +
    '`TRADING.STATION_FULL`, `TRADING.INSUFFICIENT_TREASURY`. Nothing was written.',
  halted: '`TRADING.MARKET_HALTED` (`scope`, `reason`): an admin halted this market or all trading',
};

export const TRADE_BAD_INPUT =
  '`VALIDATION_FAILED` naming each bad field (`quantity` past `TRADE_MAX_QUANTITY`, a limit of the other ' +
  'action, ...), `MALFORMED_JSON`';

export const TRADE_UNAVAILABLE = `\`TRADING.CONTENDED\`: the market kept moving, nothing was written. ${UNAVAILABLE}`;
