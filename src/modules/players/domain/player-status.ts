export const PLAYER_STATUSES = ['active', 'frozen', 'banned', 'suspended'] as const;
export type PlayerStatus = (typeof PLAYER_STATUSES)[number];
