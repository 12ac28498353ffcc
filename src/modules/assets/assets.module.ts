import { Module } from '@nestjs/common';
import { AssetsController } from './assets.controller.js';
import { BulkUpdateAssetsHandler } from './commands/bulk-update-assets.handler.js';
import { TransferAssetsHandler } from './commands/transfer-assets.handler.js';
import { GetAssetsDetailedHandler } from './queries/get-assets-detailed.handler.js';

@Module({
  controllers: [AssetsController],
  providers: [GetAssetsDetailedHandler, TransferAssetsHandler, BulkUpdateAssetsHandler],
})
export class AssetsModule {}
