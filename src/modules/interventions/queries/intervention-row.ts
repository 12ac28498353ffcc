const ts = (col: string) => `to_char(i.${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ${col}`;

/** The columns every intervention read selects, shaped for the API. */
export const INTERVENTION_COLUMNS = `i.id, i.player_id, p.username AS player_username, i.priority, i.category, i.cause,
  i.description, i.details, i.status, i.assigned_to, i.created_by, i.template_id, i.automatic, i.resolution_notes,
  ${ts('created_at')}, ${ts('updated_at')}, ${ts('resolved_at')}, i.version`;

export const INTERVENTION_FROM = 'admin_interventions i LEFT JOIN players p ON p.id = i.player_id';

const tts = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ${col}`;
export const TEMPLATE_COLUMNS = `id, name, category, priority, description, suggested_actions, created_by,
  ${tts('created_at')}, ${tts('updated_at')}, version`;

export interface InterventionRow {
  id: string;
  player_id: string | null;
  player_username: string | null;
  priority: string;
  category: string;
  cause: string | null;
  description: string;
  details: Record<string, unknown>;
  status: string;
  assigned_to: string | null;
  created_by: string | null;
  template_id: string | null;
  automatic: boolean;
  resolution_notes: string | null;
  created_at: string;
  updated_at: string;
  resolved_at: string | null;
  version: number;
}
