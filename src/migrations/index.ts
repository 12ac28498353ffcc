import { InitialSchema1763780000000 } from './1763780000000-initial-schema.js';
import { AdminOperations1763800000000 } from './1763800000000-admin-operations.js';

/** Listed explicitly (not globbed) so the same list works from TypeScript under jest and from compiled JS. */
export const MIGRATIONS = [InitialSchema1763780000000, AdminOperations1763800000000];
