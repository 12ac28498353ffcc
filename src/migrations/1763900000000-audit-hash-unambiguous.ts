import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The chain trigger's advisory lock (audit_log_chain): held here, no row is appended while the hash changes. */
const CHAIN_LOCK = 21020002;

/** The row's text fields in hash order, each as the hash reads it (NULL as empty text, as before). */
const FIELDS = [
  'r.prev_hash',
  'r.id::text',
  `to_char(r.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`,
  `coalesce(r.actor_id::text, '')`,
  `coalesce(r.actor_role, '')`,
  'r.action',
  'r.outcome',
  `coalesce(r.target_type, '')`,
  `coalesce(r.target_id, '')`,
  `coalesce(r.reason, '')`,
  `coalesce(r.before::text, '')`,
  `coalesce(r.after::text, '')`,
  `coalesce(r.request_id, '')`,
  `coalesce(r.client_ip, '')`,
];

/**
 * The audit hash joined the row's fields with U+001F and nothing kept that character out of a field: in a row
 * whose reason (or any text) held one, text could move across the boundary of two fields, "target | a␟b"
 * becoming "target␟a | b", and the row kept its hash. From the rows appended after this migration on, each
 * field is escaped first (U+001E doubled, U+001F preceded by U+001E), so the joined text names one row only. A
 * field without either character reads as before, so every existing row (which keeps the plain join, being at
 * or below the id the migration saw last) and nearly every new one hashes exactly as the old function did.
 * The switch happens under the chain's lock: no row is hashed by one function and checked by the other.
 */
export class AuditHashUnambiguous1763900000000 implements MigrationInterface {
  name = 'AuditHashUnambiguous1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`SELECT pg_advisory_xact_lock(${CHAIN_LOCK})`);
    const [{ last }] = (await q.query(`SELECT coalesce(max(id), 0)::text AS last FROM audit_log`)) as {
      last: string;
    }[];
    await q.query(`
      CREATE FUNCTION audit_hash_field(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
        SELECT replace(replace(t, E'\\x1e', E'\\x1e\\x1e'), E'\\x1f', E'\\x1e\\x1f')
      $$`);
    const escaped = FIELDS.map((f) => `audit_hash_field(${f})`).join(', ');
    // Rows up to ${last} were hashed with the plain join; the cut-over id is part of the function's text, so
    // nothing outside the schema decides which rows it applies to.
    await q.query(`
      CREATE OR REPLACE FUNCTION audit_row_hash(r audit_log) RETURNS text LANGUAGE sql IMMUTABLE AS $$
        SELECT encode(sha256(convert_to(CASE WHEN r.id <= ${BigInt(last)}
          THEN concat_ws(E'\\x1f', ${FIELDS.join(', ')})
          ELSE concat_ws(E'\\x1f', ${escaped}) END, 'UTF8')), 'hex')
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`SELECT pg_advisory_xact_lock(${CHAIN_LOCK})`);
    await q.query(`
      CREATE OR REPLACE FUNCTION audit_row_hash(r audit_log) RETURNS text LANGUAGE sql IMMUTABLE AS $$
        SELECT encode(sha256(convert_to(concat_ws(E'\\x1f', ${FIELDS.join(', ')}), 'UTF8')), 'hex')
      $$`);
    await q.query(`DROP FUNCTION IF EXISTS audit_hash_field(text)`);
  }
}
