import { isUUID } from 'class-validator';

/** What a route's path parameter names, for the audit row of a denied attempt (see @AuditTarget). */
export interface AuditTargetSpec {
  /** The audit target_type its success rows use: 'player', 'bulk_operation', ... */
  type: string;
  /** The path parameter holding the id. */
  param: string;
}

export interface DeniedTarget {
  targetType: string;
  targetId: string;
}

/**
 * The target of a denied attempt: the entity the route's id parameter names, lower-cased as the server hands
 * ids out, so that the row sits beside that entity's success rows (`GET /audit/logs?target=<id>`, a player's
 * recent_audit); otherwise the route itself, by its pattern (never the raw URL, whose id could be in any case).
 * An id parameter that is not a UUID names nothing: the route is the target then.
 */
export function deniedTarget(
  spec: AuditTargetSpec | undefined,
  params: Readonly<Record<string, unknown>> | undefined,
  route: string,
): DeniedTarget {
  const id = spec ? params?.[spec.param] : undefined;
  if (spec && typeof id === 'string' && isUUID(id))
    return { targetType: spec.type, targetId: id.toLowerCase() };
  return { targetType: 'route', targetId: route };
}
