export const ROLES = ['player', 'auditor', 'moderator', 'admin', 'superadmin'] as const;
export type Role = (typeof ROLES)[number];

/** What a route or Socket.IO message may require. Checked per route, never inferred from a URL prefix. */
export enum Permission {
  PlayersView = 'players:view',
  PlayersUpdate = 'players:update',
  AssetsTransfer = 'assets:transfer',
  BulkOperations = 'bulk:operate',
  EmergencyBasic = 'emergency:basic',
  EmergencyAdvanced = 'emergency:advanced',
  MarketHalt = 'market:halt',
  Interventions = 'interventions:manage',
  AuditRead = 'audit:read',
  SystemView = 'system:view',
}

const MODERATOR: Permission[] = [
  Permission.PlayersView,
  Permission.SystemView,
  Permission.EmergencyBasic,
  Permission.Interventions,
];
const ADMIN: Permission[] = [
  ...MODERATOR,
  Permission.PlayersUpdate,
  Permission.AssetsTransfer,
  Permission.BulkOperations,
  Permission.EmergencyAdvanced,
  Permission.MarketHalt,
];

/** The permission table of DESIGN.md ("Roles"). */
export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  player: new Set(),
  auditor: new Set([Permission.AuditRead]),
  moderator: new Set(MODERATOR),
  admin: new Set(ADMIN),
  superadmin: new Set([...ADMIN, Permission.AuditRead]),
};

export function hasPermissions(role: Role, required: readonly Permission[]): boolean {
  const granted = ROLE_PERMISSIONS[role];
  return granted !== undefined && required.every((p) => granted.has(p));
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
