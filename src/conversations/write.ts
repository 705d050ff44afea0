import { isDeepStrictEqual } from 'node:util';
import type { Kysely, Transaction } from 'kysely';
import { writeConversation } from '../db/transaction.js';
import type { Database } from '../db/tables.js';
import { conflict, validationError } from '../http/errors.js';
import { fromIso, nowSeconds, toIso } from '../shared/time.js';
import { normalisePhone } from './phone.js';
import { presentConversation } from './present.js';
import { completeBodies } from './body.js';
import type { Conversation, ConversationInput } from './schemas.js';

type Call = NonNullable<Conversation['call']>;
type Db = Kysely<Database> | Transaction<Database>;

export interface PutResult {
  created: boolean;
  conversation: Conversation;
}

/** Stored times have whole seconds; an input with a fraction or an offset is compared as stored. */
const canonicalTime = (value: string) => toIso(fromIso(value));
const canonicalTimeOrNull = (value: string | null) => (value === null ? null : canonicalTime(value));
const pick = <T>(given: T | undefined, stored: T) => (given === undefined ? stored : given);

async function storedContact(trx: Db, workspaceId: number, uuid: string) {
  return trx
    .selectFrom('contacts')
    .select(['name', 'surname', 'phone_number', 'email'])
    .where('workspace_id', '=', workspaceId)
    .where('uuid', '=', uuid)
    .executeTakeFirst();
}

/** The stored call with that uuid, which must be this conversation's own if it exists at all. */
async function storedCall(trx: Db, workspaceId: number, uuid: string, conversationId: number | undefined) {
  const call = await trx
    .selectFrom('calls as k')
    .leftJoin('campaigns as cp', 'cp.id', 'k.campaign_id')
    .select([
      'k.conversation_id',
      'k.direction',
      'k.status',
      'k.duration',
      'k.recording_url',
      'k.handled_by',
      'k.summary',
      'k.timestamp',
      'cp.uuid as campaign_uuid',
    ])
    .where('k.workspace_id', '=', workspaceId)
    .where('k.uuid', '=', uuid)
    .executeTakeFirst();
  if (call && call.conversation_id !== conversationId) throw conflict('call.uuid', `Call ${uuid} belongs to another conversation`);
  return call;
}

async function taskUuidsOfCall(trx: Db, workspaceId: number, callUuid: string) {
  const rows = await trx
    .selectFrom('tasks')
    .select('uuid')
    .where('workspace_id', '=', workspaceId)
    .where('third_party_id', '=', callUuid)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((row) => row.uuid);
}

/** The conversation as it will read after the PUT: given keys win, left-out keys keep what is stored. */
async function merge(
  trx: Db,
  workspaceId: number,
  uuid: string,
  body: ConversationInput,
  current: Conversation | undefined,
  conversationId: number | undefined,
) {
  const now = toIso(nowSeconds());

  const contactBase = (await storedContact(trx, workspaceId, body.contact.uuid)) ?? {
    name: null,
    surname: null,
    phone_number: null,
    email: null,
  };
  const contact = {
    uuid: body.contact.uuid,
    name: pick(body.contact.name, contactBase.name),
    surname: pick(body.contact.surname, contactBase.surname),
    phone_number: pick(body.contact.phone_number, contactBase.phone_number),
    email: pick(body.contact.email, contactBase.email),
  };

  let call: Call | null = current?.call ?? null;
  let campaignUuid = current?.campaign_uuid ?? null;
  if (body.call === null) call = null;
  else if (body.call !== undefined) {
    const given = body.call;
    const stored = await storedCall(trx, workspaceId, given.uuid, conversationId);
    call = {
      uuid: given.uuid,
      direction: pick(given.direction, stored?.direction ?? null) as Call['direction'],
      status: pick(given.status, stored?.status ?? null) as Call['status'],
      duration: pick(given.duration, stored?.duration ?? null),
      recording_url: pick(given.recording_url, stored?.recording_url ?? null),
      handled_by: pick(given.handled_by, stored?.handled_by ?? null) as Call['handled_by'],
      summary: pick(given.summary, stored?.summary ?? null),
      timestamp:
        given.timestamp !== undefined ? canonicalTimeOrNull(given.timestamp) : stored?.timestamp != null ? toIso(stored.timestamp) : null,
    };
    campaignUuid = stored?.campaign_uuid ?? null;
  }

  if (!call) {
    if (body.campaign_uuid) throw validationError('campaign_uuid', "campaign_uuid needs a call: a conversation's campaign is its call's");
    if (body.task_uuids?.length) throw validationError('task_uuids', "task_uuids need a call: tasks are matched through the call's uuid");
  }

  const createdAt = body.created_at !== undefined ? canonicalTime(body.created_at) : (current?.created_at ?? now);
  const firstActivity = call?.timestamp && call.timestamp > createdAt ? call.timestamp : createdAt;
  return {
    uuid,
    type: pick(body.type, current?.type ?? 'Real'),
    status: pick(body.status, current?.status ?? 'Active'),
    responded_by: pick(body.responded_by, current?.responded_by ?? null),
    is_simulation: pick(body.is_simulation, current?.is_simulation ?? false),
    timestamp: body.timestamp !== undefined ? canonicalTime(body.timestamp) : (current?.timestamp ?? firstActivity),
    created_at: createdAt,
    updated_at: body.updated_at !== undefined ? canonicalTime(body.updated_at) : (current?.updated_at ?? now),
    agent_uuid: pick(body.agent_uuid, current?.agent_uuid ?? null),
    channel: body.channel,
    contact,
    session_uuids: pick(body.session_uuids, current?.session_uuids ?? []),
    campaign_uuid: call ? pick(body.campaign_uuid, campaignUuid) : null,
    listing_uuid: pick(body.listing_uuid, current?.listing_uuid ?? null),
    task_uuids: call ? (body.task_uuids ?? (await taskUuidsOfCall(trx, workspaceId, call.uuid))) : [],
    call,
  } satisfies Conversation;
}

/** Lists are sets to the writer: their order on read is always oldest first. */
function sameContent(a: Conversation, b: Conversation, ignoreUpdatedAt: boolean): boolean {
  const comparable = (c: Conversation) => ({
    ...c,
    updated_at: ignoreUpdatedAt ? '' : c.updated_at,
    session_uuids: [...c.session_uuids].sort(),
    task_uuids: [...c.task_uuids].sort(),
  });
  return isDeepStrictEqual(comparable(a), comparable(b));
}

/** Inserts the row if its uuid is new to the workspace, and returns its id either way. */
async function ensureEntity(trx: Db, table: 'agents' | 'campaigns' | 'listings', workspaceId: number, uuid: string | null) {
  if (uuid === null) return null;
  await trx
    .insertInto(table)
    .values({ workspace_id: workspaceId, uuid, created_at: nowSeconds() })
    .onConflict((oc) => oc.columns(['workspace_id', 'uuid']).doNothing())
    .execute();
  const row = await trx
    .selectFrom(table)
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('uuid', '=', uuid)
    .executeTakeFirstOrThrow();
  return row.id;
}

async function saveContact(trx: Db, workspaceId: number, contact: Conversation['contact']) {
  const now = nowSeconds();
  const fields = {
    name: contact.name,
    surname: contact.surname,
    phone_number: contact.phone_number,
    phone_digits: contact.phone_number === null ? null : normalisePhone(contact.phone_number),
    email: contact.email,
  };
  await trx
    .insertInto('contacts')
    .values({ workspace_id: workspaceId, uuid: contact.uuid, ...fields, created_at: now, updated_at: now })
    .onConflict((oc) => oc.columns(['workspace_id', 'uuid']).doUpdateSet({ ...fields, updated_at: now }))
    .execute();
  const row = await trx
    .selectFrom('contacts')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('uuid', '=', contact.uuid)
    .executeTakeFirstOrThrow();
  return row.id;
}

async function saveCall(trx: Db, workspaceId: number, conversationId: number, call: Call | null, campaignUuid: string | null) {
  let stale = trx.deleteFrom('calls').where('workspace_id', '=', workspaceId).where('conversation_id', '=', conversationId);
  if (call) stale = stale.where('uuid', '!=', call.uuid);
  await stale.execute();
  if (!call) return;
  const fields = {
    campaign_id: await ensureEntity(trx, 'campaigns', workspaceId, campaignUuid),
    direction: call.direction,
    status: call.status,
    duration: call.duration,
    recording_url: call.recording_url,
    handled_by: call.handled_by,
    summary: call.summary,
    timestamp: call.timestamp === null ? null : fromIso(call.timestamp),
  };
  await trx
    .insertInto('calls')
    .values({ workspace_id: workspaceId, uuid: call.uuid, conversation_id: conversationId, ...fields })
    .onConflict((oc) => oc.columns(['workspace_id', 'uuid']).doUpdateSet(fields))
    .execute();
}

/** Makes exactly `taskUuids` point at the call: new ones are created, dropped ones are unlinked, not deleted. */
async function saveTasks(trx: Db, workspaceId: number, callUuid: string, taskUuids: string[]) {
  if (taskUuids.length > 0) {
    const taken = await trx
      .selectFrom('tasks')
      .select(['uuid'])
      .where('workspace_id', '=', workspaceId)
      .where('uuid', 'in', taskUuids)
      .where('third_party_id', 'is not', null)
      .where('third_party_id', '!=', callUuid)
      .executeTakeFirst();
    if (taken) throw conflict('task_uuids', `Task ${taken.uuid} belongs to another call`);
  }
  let unlink = trx
    .updateTable('tasks')
    .set({ third_party_id: null })
    .where('workspace_id', '=', workspaceId)
    .where('third_party_id', '=', callUuid);
  if (taskUuids.length > 0) unlink = unlink.where('uuid', 'not in', taskUuids);
  await unlink.execute();
  const now = nowSeconds();
  for (const uuid of taskUuids) {
    await trx
      .insertInto('tasks')
      .values({ workspace_id: workspaceId, uuid, third_party_id: callUuid, created_at: now })
      .onConflict((oc) => oc.columns(['workspace_id', 'uuid']).doUpdateSet({ third_party_id: callUuid }))
      .execute();
  }
}

/** Makes exactly `sessionUuids` the conversation's sessions; a session of another conversation is a conflict. */
async function saveSessions(trx: Db, workspaceId: number, conversationId: number, sessionUuids: string[]) {
  if (sessionUuids.length > 0) {
    const taken = await trx
      .selectFrom('sessions')
      .select('uuid')
      .where('workspace_id', '=', workspaceId)
      .where('uuid', 'in', sessionUuids)
      .where('conversation_id', '!=', conversationId)
      .executeTakeFirst();
    if (taken) throw conflict('session_uuids', `Session ${taken.uuid} belongs to another conversation`);
  }
  let stale = trx.deleteFrom('sessions').where('workspace_id', '=', workspaceId).where('conversation_id', '=', conversationId);
  if (sessionUuids.length > 0) stale = stale.where('uuid', 'not in', sessionUuids);
  await stale.execute();
  const now = nowSeconds();
  for (const uuid of sessionUuids) {
    await trx
      .insertInto('sessions')
      .values({ workspace_id: workspaceId, uuid, conversation_id: conversationId, created_at: now, updated_at: now })
      .onConflict((oc) => oc.columns(['workspace_id', 'uuid']).doNothing())
      .execute();
  }
}

/** What a PUT wrote: the conversation's id to answer with, or the stored conversation when nothing changed. */
interface Written {
  created: boolean;
  conversationId: number | undefined;
  unchanged?: Conversation;
}

async function write(trx: Transaction<Database>, workspaceId: number, uuid: string, body: ConversationInput): Promise<Written> {
  // The stored body is the conversation as presented: one read instead of the joins.
  const stored = await trx
    .selectFrom('conversations')
    .select(['id', 'body'])
    .where('workspace_id', '=', workspaceId)
    .where('uuid', '=', uuid)
    .executeTakeFirst();
  const storedId = stored?.id;
  const current = stored && (JSON.parse((await completeBodies(trx, workspaceId, [stored]))[0]!) as Conversation);
  const desired = await merge(trx, workspaceId, uuid, body, current, storedId);

  if (current && sameContent(current, desired, body.updated_at === undefined)) {
    return { created: false, conversationId: undefined, unchanged: current };
  }
  // Forward only: a sync client polling with updated_since must see every change.
  if (current && body.updated_at === undefined) desired.updated_at = [toIso(nowSeconds()), current.updated_at].sort().at(-1)!;

  const fields = {
    type: desired.type,
    status: desired.status,
    responded_by: desired.responded_by,
    is_simulation: desired.is_simulation ? 1 : 0,
    channel: desired.channel,
    agent_id: await ensureEntity(trx, 'agents', workspaceId, desired.agent_uuid),
    contact_id: await saveContact(trx, workspaceId, desired.contact),
    listing_id: await ensureEntity(trx, 'listings', workspaceId, desired.listing_uuid),
    timestamp: fromIso(desired.timestamp),
    created_at: fromIso(desired.created_at),
    updated_at: fromIso(desired.updated_at),
  } as const;

  let conversationId: number;
  if (storedId !== undefined) {
    conversationId = storedId;
    await trx.updateTable('conversations').set(fields).where('id', '=', conversationId).execute();
  } else {
    const inserted = await trx
      .insertInto('conversations')
      .values({ workspace_id: workspaceId, uuid, ...fields })
      .returning('id')
      .executeTakeFirstOrThrow();
    conversationId = inserted.id;
  }

  await saveCall(trx, workspaceId, conversationId, desired.call, desired.campaign_uuid);
  if (desired.call && body.task_uuids !== undefined) await saveTasks(trx, workspaceId, desired.call.uuid, desired.task_uuids);
  if (body.session_uuids !== undefined) await saveSessions(trx, workspaceId, conversationId, desired.session_uuids);

  return { created: storedId === undefined, conversationId };
}

const lower = <T extends string | null | undefined>(uuid: T): T => (uuid ? (uuid.toLowerCase() as T) : uuid);

const lowerSet = (uuids: string[] | undefined) => uuids && [...new Set(uuids.map((uuid) => uuid.toLowerCase()))];

/** SQLite compares text exactly and PostgreSQL prints uuids in lower case: store them all in lower case. */
function lowerCaseUuids(body: ConversationInput): ConversationInput {
  return {
    ...body,
    contact: { ...body.contact, uuid: body.contact.uuid.toLowerCase() },
    agent_uuid: lower(body.agent_uuid),
    campaign_uuid: lower(body.campaign_uuid),
    listing_uuid: lower(body.listing_uuid),
    session_uuids: lowerSet(body.session_uuids),
    task_uuids: lowerSet(body.task_uuids),
    call: body.call ? { ...body.call, uuid: body.call.uuid.toLowerCase() } : body.call,
  };
}

/**
 * Creates or updates a conversation and everything it names, in one transaction. The same body
 * twice changes nothing. Two writers creating the same new uuid at once: the loser retries as an update.
 */
export async function putConversation(
  db: Kysely<Database>,
  workspaceId: number,
  uuid: string,
  body: ConversationInput,
): Promise<PutResult> {
  const written = await writeConversation(db, workspaceId, (trx) => write(trx, workspaceId, uuid.toLowerCase(), lowerCaseUuids(body)));
  return { created: written.created, conversation: written.unchanged ?? presentConversation(written.record!) };
}
