import { type Kysely, sql } from 'kysely';
import { dialectOf } from '../dialect.js';

/**
 * `conversations.body`: each conversation as the list shows it, serialised, so a page is read as
 * fifteen stored strings instead of six joins and a presenter per row (see conversations/body.ts).
 *
 * The database itself marks a body stale (NULL) in the same statement as any change to what it
 * embeds: the conversation row, its contact, call, sessions and tasks. Every write transaction
 * rebuilds the stale bodies of its workspace before it commits, so committed data never holds a
 * stale body that a write left; rows that predate this migration start stale and are rebuilt at
 * start-up. Readers still rebuild any NULL they meet, so a stale body can cost time, never truth.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('conversations').addColumn('body', 'text').execute();
  await sql`create index conversations_stale_body on conversations (workspace_id, id) where body is null`.execute(db);
  if (dialectOf(db) === 'postgres') await upPostgres(db);
  else await upSqlite(db);
}

const SQLITE_TRIGGERS = [
  'conversation_body_stale',
  'contact_bodies_stale',
  'call_body_stale_insert',
  'call_body_stale_update',
  'call_body_stale_delete',
  'session_body_stale_insert',
  'session_body_stale_update',
  'session_body_stale_delete',
  'task_body_stale_insert',
  'task_body_stale_update',
  'task_body_stale_delete',
];

async function upSqlite(db: Kysely<unknown>) {
  const staleConversation = (id: string) => `update conversations set body = null where id = ${id} and body is not null;`;
  const staleCallOf = (row: 'new' | 'old') =>
    `update conversations set body = null where body is not null and id =
       (select conversation_id from calls where workspace_id = ${row}.workspace_id and uuid = ${row}.third_party_id);`;
  const statements = [
    // Any update that leaves the body as it was changed something the body shows (or nothing, harmlessly).
    `create trigger conversation_body_stale after update on conversations when new.body is old.body and new.body is not null
     begin ${staleConversation('new.id')} end`,
    `create trigger contact_bodies_stale after update of name, surname, phone_number, email on contacts
     when old.name is not new.name or old.surname is not new.surname or old.phone_number is not new.phone_number or old.email is not new.email
     begin update conversations set body = null where workspace_id = new.workspace_id and contact_id = new.id and body is not null; end`,
    `create trigger call_body_stale_insert after insert on calls begin ${staleConversation('new.conversation_id')} end`,
    `create trigger call_body_stale_update after update on calls
     begin ${staleConversation('old.conversation_id')} ${staleConversation('new.conversation_id')} end`,
    `create trigger call_body_stale_delete after delete on calls begin ${staleConversation('old.conversation_id')} end`,
    `create trigger session_body_stale_insert after insert on sessions begin ${staleConversation('new.conversation_id')} end`,
    `create trigger session_body_stale_update after update of uuid, conversation_id, created_at on sessions
     begin ${staleConversation('old.conversation_id')} ${staleConversation('new.conversation_id')} end`,
    `create trigger session_body_stale_delete after delete on sessions begin ${staleConversation('old.conversation_id')} end`,
    `create trigger task_body_stale_insert after insert on tasks begin ${staleCallOf('new')} end`,
    `create trigger task_body_stale_update after update of uuid, third_party_id, created_at on tasks
     begin ${staleCallOf('old')} ${staleCallOf('new')} end`,
    `create trigger task_body_stale_delete after delete on tasks begin ${staleCallOf('old')} end`,
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}

/**
 * A row trigger on conversations (it must see each row's old body), statement-level triggers with
 * transition tables on the rest, so that a bulk write marks its conversations in one statement.
 */
async function upPostgres(db: Kysely<unknown>) {
  const uuidOf = (text: string) =>
    `case when ${text} ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then ${text}::uuid end`;
  const byConversation = `update conversations c set body = null from changed r where c.id = r.conversation_id and c.body is not null;`;
  const byTask = `update conversations c set body = null from changed t join calls k
      on k.workspace_id = t.workspace_id and k.uuid = ${uuidOf('t.third_party_id')}
    where c.id = k.conversation_id and c.body is not null;`;
  const forEach = (table: string, fn: string, name: string) => `
    create trigger ${name}_insert after insert on ${table}
      referencing new table as changed for each statement execute function ${fn}();
    create trigger ${name}_update_new after update on ${table}
      referencing new table as changed for each statement execute function ${fn}();
    create trigger ${name}_update_old after update on ${table}
      referencing old table as changed for each statement execute function ${fn}();
    create trigger ${name}_delete after delete on ${table}
      referencing old table as changed for each statement execute function ${fn}();`;
  await sql
    .raw(
      `
    create function parley_conversation_body_stale() returns trigger language plpgsql as $$
    begin
      if new.body is not distinct from old.body then new.body := null; end if;
      return new;
    end $$;
    create trigger conversation_body_stale before update on conversations
      for each row execute function parley_conversation_body_stale();

    create function parley_contact_bodies_stale() returns trigger language plpgsql as $$
    begin
      update conversations c set body = null from new_rows n join old_rows o on o.id = n.id
      where c.workspace_id = n.workspace_id and c.contact_id = n.id and c.body is not null
        and (n.name, n.surname, n.phone_number, n.email) is distinct from (o.name, o.surname, o.phone_number, o.email);
      return null;
    end $$;
    create trigger contact_bodies_stale after update on contacts
      referencing old table as old_rows new table as new_rows for each statement execute function parley_contact_bodies_stale();

    create function parley_bodies_stale_by_conversation() returns trigger language plpgsql as $$
    begin ${byConversation} return null; end $$;
    create function parley_bodies_stale_by_task() returns trigger language plpgsql as $$
    begin ${byTask} return null; end $$;
    ${forEach('calls', 'parley_bodies_stale_by_conversation', 'call_body_stale')}
    ${forEach('sessions', 'parley_bodies_stale_by_conversation', 'session_body_stale')}
    ${forEach('tasks', 'parley_bodies_stale_by_task', 'task_body_stale')}`,
    )
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (dialectOf(db) === 'postgres') {
    await sql`drop trigger conversation_body_stale on conversations`.execute(db);
    await sql`drop trigger contact_bodies_stale on contacts`.execute(db);
    for (const [table, name] of [
      ['calls', 'call_body_stale'],
      ['sessions', 'session_body_stale'],
      ['tasks', 'task_body_stale'],
    ]) {
      for (const event of ['insert', 'update_new', 'update_old', 'delete'])
        await sql.raw(`drop trigger ${name}_${event} on ${table}`).execute(db);
    }
    await sql`drop function parley_conversation_body_stale, parley_contact_bodies_stale, parley_bodies_stale_by_conversation, parley_bodies_stale_by_task`.execute(
      db,
    );
  } else {
    for (const trigger of SQLITE_TRIGGERS) await sql.raw(`drop trigger ${trigger}`).execute(db);
  }
  await sql`drop index conversations_stale_body`.execute(db);
  await db.schema.alterTable('conversations').dropColumn('body').execute();
}
