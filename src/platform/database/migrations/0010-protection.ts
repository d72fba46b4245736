import type { Kysely } from 'kysely';

/**
 * The data path (src/protection): zones, vaults, data sources, enrolment, agent
 * credentials, the keyless blob index and snapshot catalog, upload sessions, agent jobs
 * with their outcomes, schedule state, raw consumption records and unit recovery keys.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('protection_zones')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('bu_id', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('secret', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('protection_vaults')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('bu_id', 'text', (c) => c.notNull())
    .addColumn('zone_id', 'text', (c) => c.notNull().references('protection_zones.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('shared', 'integer', (c) => c.notNull())
    .addColumn('repository_id', 'text')
    .addColumn('pack_size', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('initialised_at', 'bigint')
    .addColumn('recovery_key_id', 'text')
    .addColumn('recovery_envelope', 'text')
    .addColumn('maintenance_owner', 'text')
    .addColumn('maintenance_until', 'bigint')
    .execute();
  await db.schema.createIndex('protection_vaults_bu').on('protection_vaults').column('bu_id').execute();

  await db.schema
    .createTable('protection_data_sources')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('bu_id', 'text', (c) => c.notNull())
    .addColumn('vault_id', 'text', (c) => c.notNull().references('protection_vaults.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('hostname', 'text', (c) => c.notNull())
    .addColumn('os', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('policy_override', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('enrolled_at', 'bigint')
    .addColumn('last_seen_at', 'bigint')
    .addColumn('agent_version', 'text')
    .addColumn('retired_at', 'bigint')
    .execute();
  await db.schema.createIndex('protection_data_sources_bu').on('protection_data_sources').column('bu_id').execute();
  await db.schema
    .createIndex('protection_data_sources_vault')
    .on('protection_data_sources')
    .column('vault_id')
    .execute();

  await db.schema
    .createTable('protection_enrolment_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('data_source_id', 'text', (c) => c.notNull().references('protection_data_sources.id'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('fingerprint', 'text')
    .addColumn('server_url', 'text')
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .execute();

  await db.schema
    .createTable('protection_agent_credentials')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('data_source_id', 'text', (c) => c.notNull().references('protection_data_sources.id'))
    .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .addColumn('last_used_at', 'bigint')
    .execute();

  await db.schema
    .createTable('protection_packs')
    .addColumn('vault_id', 'text', (c) => c.notNull())
    .addColumn('pack_id', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('type', 'integer', (c) => c.notNull())
    .addColumn('blob_count', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('session_id', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('condemned_at', 'bigint')
    .addPrimaryKeyConstraint('protection_packs_pk', ['vault_id', 'pack_id'])
    .execute();
  await db.schema
    .createIndex('protection_packs_state')
    .on('protection_packs')
    .columns(['vault_id', 'state', 'created_at'])
    .execute();

  await db.schema
    .createTable('protection_blobs')
    .addColumn('vault_id', 'text', (c) => c.notNull())
    .addColumn('blob_id', 'text', (c) => c.notNull())
    .addColumn('pack_id', 'text', (c) => c.notNull())
    .addColumn('type', 'integer', (c) => c.notNull())
    .addColumn('flags', 'integer', (c) => c.notNull())
    .addColumn('pack_offset', 'bigint', (c) => c.notNull())
    .addColumn('plain_length', 'bigint', (c) => c.notNull())
    .addColumn('stored_length', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('protection_blobs_pk', ['vault_id', 'blob_id', 'pack_id'])
    .execute();
  await db.schema
    .createIndex('protection_blobs_pack')
    .on('protection_blobs')
    .columns(['vault_id', 'pack_id'])
    .execute();

  await db.schema
    .createTable('protection_snapshots')
    .addColumn('vault_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('data_source_id', 'text')
    .addColumn('job_id', 'text')
    .addColumn('time_ms', 'bigint', (c) => c.notNull())
    .addColumn('ref_count', 'bigint', (c) => c.notNull())
    .addColumn('plain_bytes', 'bigint', (c) => c.notNull())
    .addColumn('stored_bytes', 'bigint', (c) => c.notNull())
    .addColumn('unique_bytes', 'bigint', (c) => c.notNull())
    .addColumn('committed_at', 'bigint', (c) => c.notNull())
    .addColumn('forgotten_at', 'bigint')
    .addPrimaryKeyConstraint('protection_snapshots_pk', ['vault_id', 'id'])
    .execute();
  await db.schema
    .createIndex('protection_snapshots_source')
    .on('protection_snapshots')
    .columns(['data_source_id', 'time_ms'])
    .execute();

  await db.schema
    .createTable('protection_snapshot_refs')
    .addColumn('vault_id', 'text', (c) => c.notNull())
    .addColumn('snapshot_id', 'text', (c) => c.notNull())
    .addColumn('blob_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('protection_snapshot_refs_pk', ['vault_id', 'snapshot_id', 'blob_id'])
    .execute();
  await db.schema
    .createIndex('protection_snapshot_refs_blob')
    .on('protection_snapshot_refs')
    .columns(['vault_id', 'blob_id'])
    .execute();

  await db.schema
    .createTable('protection_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('vault_id', 'text', (c) => c.notNull())
    .addColumn('data_source_id', 'text', (c) => c.notNull())
    .addColumn('job_id', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_until', 'bigint', (c) => c.notNull())
    .addColumn('closed_at', 'bigint')
    .addColumn('bytes_received', 'bigint', (c) => c.notNull())
    .addColumn('packs_received', 'bigint', (c) => c.notNull())
    .addColumn('bytes_added', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('protection_sessions_vault')
    .on('protection_sessions')
    .columns(['vault_id', 'closed_at'])
    .execute();

  await db.schema
    .createTable('protection_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('data_source_id', 'text', (c) => c.notNull())
    .addColumn('bu_id', 'text', (c) => c.notNull())
    .addColumn('vault_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('schedule_name', 'text')
    .addColumn('scheduled_for', 'bigint')
    .addColumn('full', 'integer', (c) => c.notNull())
    .addColumn('params', 'text')
    .addColumn('group_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .addColumn('heartbeat_at', 'bigint')
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('snapshot_id', 'text')
    .addColumn('error', 'text')
    .addColumn('warnings', 'text')
    .addColumn('progress', 'text')
    .addColumn('stats', 'text')
    .addColumn('link_rate', 'bigint')
    .execute();
  await db.schema
    .createIndex('protection_jobs_slot')
    .on('protection_jobs')
    .columns(['data_source_id', 'schedule_name', 'scheduled_for'])
    .unique()
    .execute();
  await db.schema
    .createIndex('protection_jobs_source')
    .on('protection_jobs')
    .columns(['data_source_id', 'status', 'created_at'])
    .execute();
  await db.schema.createIndex('protection_jobs_group').on('protection_jobs').column('group_id').execute();
  await db.schema
    .createIndex('protection_jobs_status')
    .on('protection_jobs')
    .columns(['status', 'created_at'])
    .execute();

  await db.schema
    .createTable('protection_restore_groups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('bu_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('params', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('protection_schedule_state')
    .addColumn('data_source_id', 'text', (c) => c.notNull())
    .addColumn('schedule_name', 'text', (c) => c.notNull())
    .addColumn('last_slot', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('protection_schedule_state_pk', ['data_source_id', 'schedule_name'])
    .execute();

  await db.schema
    .createTable('protection_snapshot_usage')
    .addColumn('vault_id', 'text', (c) => c.notNull())
    .addColumn('snapshot_id', 'text', (c) => c.notNull())
    .addColumn('data_source_id', 'text', (c) => c.notNull())
    .addColumn('day', 'integer', (c) => c.notNull())
    .addColumn('protected_bytes', 'bigint', (c) => c.notNull())
    .addColumn('stored_bytes_unique', 'bigint', (c) => c.notNull())
    .addColumn('bytes_added', 'bigint', (c) => c.notNull())
    .addColumn('bytes_transferred', 'bigint', (c) => c.notNull())
    .addColumn('file_count', 'bigint', (c) => c.notNull())
    .addColumn('duration_ms', 'bigint', (c) => c.notNull())
    .addColumn('recorded_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('protection_snapshot_usage_pk', ['vault_id', 'snapshot_id'])
    .execute();

  await db.schema
    .createTable('protection_daily_usage')
    .addColumn('data_source_id', 'text', (c) => c.notNull())
    .addColumn('day', 'integer', (c) => c.notNull())
    .addColumn('protected_bytes', 'bigint', (c) => c.notNull())
    .addColumn('stored_bytes', 'bigint', (c) => c.notNull())
    .addColumn('bytes_added', 'bigint', (c) => c.notNull())
    .addColumn('bytes_transferred', 'bigint', (c) => c.notNull())
    .addColumn('file_count', 'bigint', (c) => c.notNull())
    .addColumn('duration_ms', 'bigint', (c) => c.notNull())
    .addColumn('backups', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('protection_daily_usage_pk', ['data_source_id', 'day'])
    .execute();

  await db.schema
    .createTable('protection_recovery_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('bu_id', 'text', (c) => c.notNull())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('sealed_private_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('replaced_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('protection_recovery_keys_bu')
    .on('protection_recovery_keys')
    .columns(['bu_id', 'replaced_at'])
    .execute();
}
