import { SetMetadata } from '@nestjs/common';

export const RAW_RESPONSE = 'http:raw-response';

/** The route's body goes out as is, not in the JSON envelope (Prometheus text, health probes). */
export const RawResponse = () => SetMetadata(RAW_RESPONSE, true);
