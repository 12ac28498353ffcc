import { Module } from '@nestjs/common';
import { DemoGalaxyService } from './demo-galaxy.service.js';

@Module({ providers: [DemoGalaxyService], exports: [DemoGalaxyService] })
export class SeedModule {}
