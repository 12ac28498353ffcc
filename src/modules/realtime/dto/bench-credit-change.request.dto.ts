import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsUUID, Max, Min } from 'class-validator';

export class BenchCreditChangeRequestDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  player_id: string;

  @ApiProperty({ description: 'New balance (whole credits)' })
  @IsInt()
  @Min(0)
  @Max(1e15)
  credits: number;
}
