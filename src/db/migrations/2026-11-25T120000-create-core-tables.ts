import type { ColumnDefinitionBuilder, CreateTableBuilder, Kysely } from 'kysely';
import { type Dialect, dialectOf } from '../dialect.js';

/**
 * Column types differ by dialect only where it pays: PostgreSQL stores uuids in 16 bytes and ids
 * as identity columns; SQLite ids are rowids (AUTOINCREMENT where ids must never be reused,
 * because the list's tie-break relies on them being monotonic).
 */
function columns(dialect: Dialect) {
  const pg = dialect === 'postgres';
  return {
    id<T extends string>(table: CreateTableBuilder<T, never>, { monotonic = false } = {}) {
      return pg
        ? table.addColumn('id', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity())
        : table.addColumn('id', 'integer', (c) => (monotonic ? c.primaryKey().autoIncrement() : c.primaryKey()));
    },
    ref: pg ? ('bigint' as const) : ('integer' as const),
    uuid: pg ? ('uuid' as const) : ('text' as const),
    time: pg ? ('bigint' as const) : ('integer' as const),
  };
}

const notNull = (c: ColumnDefinitionBuilder) => c.notNull();

function workspaceRef(c: ColumnDefinitionBuilder) {
  return c.notNull().references('workspaces.id').onDelete('cascade');
}

export async function up(db: Kysely<unknown>): Promise<void> {
  const col = columns(dialectOf(db));

  await col
    .id(db.schema.createTable('workspaces'))
    .addColumn('uuid', col.uuid, notNull)
    .addColumn('subdomain', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', notNull)
    .addColumn('created_at', col.time, notNull)
    .execute();

  await col
    .id(db.schema.createTable('api_tokens'))
    .addColumn('workspace_id', col.ref, workspaceRef)
    .addColumn('public_id', 'text', notNull)
    .addColumn('name', 'text', notNull)
    .addColumn('secret_hash', 'text', notNull)
    .addColumn('created_at', col.time, notNull)
    .addColumn('revoked_at', col.time)
    .execute();
  // The one index that cannot lead with workspace_id: a request is authenticated before its workspace is known.
  await db.schema.createIndex('api_tokens_public_id').on('api_tokens').column('public_id').unique().execute();
  await db.schema.createIndex('api_tokens_workspace').on('api_tokens').columns(['workspace_id', 'created_at']).execute();

  for (const table of ['agents', 'campaigns', 'listings'] as const) {
    await col
      .id(db.schema.createTable(table))
      .addColumn('workspace_id', col.ref, workspaceRef)
      .addColumn('uuid', col.uuid, notNull)
      .addColumn('created_at', col.time, notNull)
      .execute();
    await db.schema.createIndex(`${table}_uuid`).on(table).columns(['workspace_id', 'uuid']).unique().execute();
  }

  await col
    .id(db.schema.createTable('contacts'))
    .addColumn('workspace_id', col.ref, workspaceRef)
    .addColumn('uuid', col.uuid, notNull)
    .addColumn('name', 'text')
    .addColumn('surname', 'text')
    .addColumn('phone_number', 'text')
    .addColumn('phone_digits', 'text')
    .addColumn('email', 'text')
    .addColumn('created_at', col.time, notNull)
    .addColumn('updated_at', col.time, notNull)
    .execute();
  await db.schema.createIndex('contacts_uuid').on('contacts').columns(['workspace_id', 'uuid']).unique().execute();
  await db.schema.createIndex('contacts_phone').on('contacts').columns(['workspace_id', 'phone_digits']).execute();

  await col
    .id(db.schema.createTable('conversations'), { monotonic: true })
    .addColumn('workspace_id', col.ref, workspaceRef)
    .addColumn('uuid', col.uuid, notNull)
    .addColumn('type', 'text', notNull)
    .addColumn('status', 'text', notNull)
    .addColumn('responded_by', 'text')
    .addColumn('is_simulation', 'integer', notNull)
    .addColumn('channel', 'text', notNull)
    .addColumn('agent_id', col.ref, (c) => c.references('agents.id'))
    .addColumn('contact_id', col.ref, (c) => c.notNull().references('contacts.id'))
    .addColumn('listing_id', col.ref, (c) => c.references('listings.id'))
    .addColumn('timestamp', col.time, notNull)
    .addColumn('created_at', col.time, notNull)
    .addColumn('updated_at', col.time, notNull)
    .execute();
  await db.schema.createIndex('conversations_uuid').on('conversations').columns(['workspace_id', 'uuid']).unique().execute();
  // One index per sort key, and one per (filter, sort key) for the filters that select many rows,
  // so that a page is read in index order instead of sorting every match.
  for (const sortKey of ['created_at', 'updated_at']) {
    await db.schema.createIndex(`conversations_${sortKey}`).on('conversations').columns(['workspace_id', sortKey, 'id']).execute();
    for (const filter of ['status', 'channel', 'agent_id', 'contact_id']) {
      await db.schema
        .createIndex(`conversations_${filter}_${sortKey}`)
        .on('conversations')
        .columns(['workspace_id', filter, sortKey, 'id'])
        .execute();
    }
  }

  await col
    .id(db.schema.createTable('calls'))
    .addColumn('workspace_id', col.ref, workspaceRef)
    .addColumn('uuid', col.uuid, notNull)
    .addColumn('conversation_id', col.ref, (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('campaign_id', col.ref, (c) => c.references('campaigns.id'))
    .addColumn('direction', 'text')
    .addColumn('status', 'text')
    .addColumn('duration', 'integer')
    .addColumn('recording_url', 'text')
    .addColumn('handled_by', 'text')
    .addColumn('summary', 'text')
    .addColumn('timestamp', col.time)
    .execute();
  await db.schema.createIndex('calls_uuid').on('calls').columns(['workspace_id', 'uuid']).unique().execute();
  await db.schema.createIndex('calls_conversation').on('calls').columns(['workspace_id', 'conversation_id']).unique().execute();
  await db.schema.createIndex('calls_campaign').on('calls').columns(['workspace_id', 'campaign_id', 'conversation_id']).execute();

  await col
    .id(db.schema.createTable('sessions'))
    .addColumn('workspace_id', col.ref, workspaceRef)
    .addColumn('uuid', col.uuid, notNull)
    .addColumn('conversation_id', col.ref, (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('started_at', col.time)
    .addColumn('ended_at', col.time)
    .addColumn('last_activity_at', col.time)
    .addColumn('summary', 'text')
    .addColumn('created_at', col.time, notNull)
    .addColumn('updated_at', col.time, notNull)
    .execute();
  await db.schema.createIndex('sessions_uuid').on('sessions').columns(['workspace_id', 'uuid']).unique().execute();
  await db.schema
    .createIndex('sessions_conversation')
    .on('sessions')
    .columns(['workspace_id', 'conversation_id', 'created_at', 'id'])
    .execute();

  await col
    .id(db.schema.createTable('tasks'))
    .addColumn('workspace_id', col.ref, workspaceRef)
    .addColumn('uuid', col.uuid, notNull)
    .addColumn('third_party_id', 'text')
    .addColumn('created_at', col.time, notNull)
    .execute();
  await db.schema.createIndex('tasks_uuid').on('tasks').columns(['workspace_id', 'uuid']).unique().execute();
  await db.schema.createIndex('tasks_third_party').on('tasks').columns(['workspace_id', 'third_party_id', 'created_at', 'id']).execute();

  await col
    .id(db.schema.createTable('messages'), { monotonic: true })
    .addColumn('workspace_id', col.ref, workspaceRef)
    .addColumn('uuid', col.uuid, notNull)
    .addColumn('conversation_id', col.ref, (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('session_id', col.ref, (c) => c.references('sessions.id').onDelete('set null'))
    .addColumn('sender', 'text', notNull)
    .addColumn('message_type', 'text')
    .addColumn('content', 'text', notNull)
    .addColumn('created_at', col.time, notNull)
    .execute();
  await db.schema.createIndex('messages_uuid').on('messages').columns(['workspace_id', 'uuid']).unique().execute();
  await db.schema
    .createIndex('messages_conversation')
    .on('messages')
    .columns(['workspace_id', 'conversation_id', 'created_at', 'id'])
    .execute();
  await db.schema.createIndex('messages_session').on('messages').columns(['workspace_id', 'session_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'messages',
    'tasks',
    'sessions',
    'calls',
    'conversations',
    'contacts',
    'listings',
    'campaigns',
    'agents',
    'api_tokens',
    'workspaces',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
