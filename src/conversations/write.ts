import { isDeepStrictEqual } from 'node:util';
import { type Kysely, sql, type Transaction } from 'kysely';
import { runCompiled } from '../db/compiled.js';
import { type DataChange, writeConversation } from '../db/transaction.js';
import type { Database, EpochSeconds } from '../db/tables.js';
import { conflict, validationError } from '../http/errors.js';
import { fromIso, toIso } from '../shared/time.js';
import { normalisePhone } from './phone.js';
import { presentConversation } from './present.js';
import { completeBodies } from './body.js';
import type { Conversation, ConversationInput } from './schemas.js';
import { ANY_ANSWER, NO_ANSWER, scopeOf, type WriteScope } from './scope.js';

type Call = NonNullable<Conversation['call']>;
type Db = Kysely<Database> | Transaction<Database>;

export interface PutResult {
  created: boolean;
  conversation: Conversation;
  change: DataChange;
}

/** Stored times have whole seconds; an input with a fraction or an offset is compared as stored. */
const canonicalTime = (value: string) => toIso(fromIso(value));
const canonicalTimeOrNull = (value: string | null) => (value === null ? null : canonicalTime(value));
const pick = <T>(given: T | undefined, stored: T) => (given === undefined ? stored : given);

type StoredContact = NonNullable<Awaited<ReturnType<typeof storedContact>>>;

async function storedContact(trx: Db, workspaceId: number, uuid: string) {
  const [contact] = await runCompiled(trx, 'stored contact', [workspaceId, uuid], () =>
    trx
      .selectFrom('contacts')
      .select(['name', 'surname', 'phone_number', 'email'])
      .where('workspace_id', '=', workspaceId)
      .where('uuid', '=', uuid),
  );
  return contact;
}

/** The stored call with that uuid, which must be this conversation's own if it exists at all. */
async function storedCall(trx: Db, workspaceId: number, uuid: string, conversationId: number | undefined) {
  const [call] = await runCompiled(trx, 'stored call', [workspaceId, uuid], () =>
    trx
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
      .where('k.uuid', '=', uuid),
  );
  if (call && call.conversation_id !== conversationId) throw conflict('call.uuid', `Call ${uuid} belongs to another conversation`);
  return call;
}

async function taskUuidsOfCall(trx: Db, workspaceId: number, callUuid: string) {
  const rows = await runCompiled(trx, 'task uuids of call', [workspaceId, callUuid], () =>
    trx
      .selectFrom('tasks')
      .select('uuid')
      .where('workspace_id', '=', workspaceId)
      .where('third_party_id', '=', callUuid)
      .orderBy('created_at')
      .orderBy('id'),
  );
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
  storedContactFields: StoredContact | undefined,
  at: EpochSeconds,
) {
  const now = toIso(at);

  const contactBase = storedContactFields ?? { name: null, surname: null, phone_number: null, email: null };
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

/** The id of a row of the workspace that exists. */
async function idByUuid(trx: Db, table: 'agents' | 'campaigns' | 'listings' | 'contacts', workspaceId: number, uuid: string) {
  const [row] = await runCompiled(trx, `${table} id`, [workspaceId, uuid], () =>
    trx.selectFrom(table).select('id').where('workspace_id', '=', workspaceId).where('uuid', '=', uuid),
  );
  return row!.id;
}

/** Inserts the row if its uuid is new to the workspace, and returns its id either way. */
async function ensureEntity(
  trx: Db,
  table: 'agents' | 'campaigns' | 'listings',
  workspaceId: number,
  uuid: string | null,
  now: EpochSeconds,
) {
  if (uuid === null) return null;
  await runCompiled(trx, `ensure ${table}`, [workspaceId, uuid, now], () =>
    trx
      .insertInto(table)
      .values({ workspace_id: workspaceId, uuid, created_at: now })
      .onConflict((oc) => oc.columns(['workspace_id', 'uuid']).doNothing()),
  );
  return idByUuid(trx, table, workspaceId, uuid);
}

async function saveContact(trx: Db, workspaceId: number, contact: Conversation['contact'], now: EpochSeconds) {
  const fields = {
    name: contact.name,
    surname: contact.surname,
    phone_number: contact.phone_number,
    phone_digits: contact.phone_number === null ? null : normalisePhone(contact.phone_number),
    email: contact.email,
  };
  const values = { workspace_id: workspaceId, uuid: contact.uuid, ...fields, created_at: now, updated_at: now };
  const changes = { ...fields, updated_at: now };
  await runCompiled(trx, 'save contact', [...Object.values(values), ...Object.values(changes)], () =>
    trx
      .insertInto('contacts')
      .values(values)
      .onConflict((oc) => oc.columns(['workspace_id', 'uuid']).doUpdateSet(changes)),
  );
  return idByUuid(trx, 'contacts', workspaceId, contact.uuid);
}

async function saveCall(
  trx: Db,
  workspaceId: number,
  conversationId: number,
  call: Call | null,
  campaignUuid: string | null,
  now: EpochSeconds,
) {
  await runCompiled(
    trx,
    `drop calls${call ? ' but one' : ''}`,
    call ? [workspaceId, conversationId, call.uuid] : [workspaceId, conversationId],
    () => {
      const stale = trx.deleteFrom('calls').where('workspace_id', '=', workspaceId).where('conversation_id', '=', conversationId);
      return call ? stale.where('uuid', '!=', call.uuid) : stale;
    },
  );
  if (!call) return;
  const fields = {
    campaign_id: await ensureEntity(trx, 'campaigns', workspaceId, campaignUuid, now),
    direction: call.direction,
    status: call.status,
    duration: call.duration,
    recording_url: call.recording_url,
    handled_by: call.handled_by,
    summary: call.summary,
    timestamp: call.timestamp === null ? null : fromIso(call.timestamp),
  };
  const values = { workspace_id: workspaceId, uuid: call.uuid, conversation_id: conversationId, ...fields };
  await runCompiled(trx, 'save call', [...Object.values(values), ...Object.values(fields)], () =>
    trx
      .insertInto('calls')
      .values(values)
      .onConflict((oc) => oc.columns(['workspace_id', 'uuid']).doUpdateSet(fields)),
  );
}

/** Makes exactly `taskUuids` point at the call: new ones are created, dropped ones are unlinked, not deleted. */
async function saveTasks(trx: Db, workspaceId: number, callUuid: string, taskUuids: string[], now: EpochSeconds) {
  const count = taskUuids.length;
  if (count > 0) {
    const [taken] = await runCompiled(trx, `tasks of other calls ${count}`, [workspaceId, ...taskUuids, callUuid], () =>
      trx
        .selectFrom('tasks')
        .select(['uuid'])
        .where('workspace_id', '=', workspaceId)
        .where('uuid', 'in', taskUuids)
        .where('third_party_id', 'is not', null)
        .where('third_party_id', '!=', callUuid)
        .limit(sql.lit(1)),
    );
    if (taken) throw conflict('task_uuids', `Task ${taken.uuid} belongs to another call`);
  }
  await runCompiled(trx, `unlink tasks ${count}`, [null, workspaceId, callUuid, ...taskUuids], () => {
    const unlink = trx
      .updateTable('tasks')
      .set({ third_party_id: null })
      .where('workspace_id', '=', workspaceId)
      .where('third_party_id', '=', callUuid);
    return count > 0 ? unlink.where('uuid', 'not in', taskUuids) : unlink;
  });
  for (const uuid of taskUuids) {
    await runCompiled(trx, 'save task', [workspaceId, uuid, callUuid, now, callUuid], () =>
      trx
        .insertInto('tasks')
        .values({ workspace_id: workspaceId, uuid, third_party_id: callUuid, created_at: now })
        .onConflict((oc) => oc.columns(['workspace_id', 'uuid']).doUpdateSet({ third_party_id: callUuid })),
    );
  }
}

/** Makes exactly `sessionUuids` the conversation's sessions; a session of another conversation is a conflict. */
async function saveSessions(trx: Db, workspaceId: number, conversationId: number, sessionUuids: string[], now: EpochSeconds) {
  const count = sessionUuids.length;
  if (count > 0) {
    const [taken] = await runCompiled(trx, `sessions of other conversations ${count}`, [workspaceId, ...sessionUuids, conversationId], () =>
      trx
        .selectFrom('sessions')
        .select('uuid')
        .where('workspace_id', '=', workspaceId)
        .where('uuid', 'in', sessionUuids)
        .where('conversation_id', '!=', conversationId)
        .limit(sql.lit(1)),
    );
    if (taken) throw conflict('session_uuids', `Session ${taken.uuid} belongs to another conversation`);
  }
  await runCompiled(trx, `drop sessions ${count}`, [workspaceId, conversationId, ...sessionUuids], () => {
    const stale = trx.deleteFrom('sessions').where('workspace_id', '=', workspaceId).where('conversation_id', '=', conversationId);
    return count > 0 ? stale.where('uuid', 'not in', sessionUuids) : stale;
  });
  for (const uuid of sessionUuids) {
    await runCompiled(trx, 'save session', [workspaceId, uuid, conversationId, now, now], () =>
      trx
        .insertInto('sessions')
        .values({ workspace_id: workspaceId, uuid, conversation_id: conversationId, created_at: now, updated_at: now })
        .onConflict((oc) => oc.columns(['workspace_id', 'uuid']).doNothing()),
    );
  }
}

/** What a PUT wrote: the conversation's id to answer with, or the stored conversation when nothing changed. */
interface Written {
  created: boolean;
  conversationId: number | undefined;
  unchanged?: Conversation;
  scope: WriteScope;
}

async function write(
  trx: Transaction<Database>,
  workspaceId: number,
  uuid: string,
  body: ConversationInput,
  now: EpochSeconds,
): Promise<Written> {
  // The stored body is the conversation as presented: one read instead of the joins.
  const [stored] = await runCompiled(trx, 'stored conversation', [workspaceId, uuid], () =>
    trx.selectFrom('conversations').select(['id', 'body']).where('workspace_id', '=', workspaceId).where('uuid', '=', uuid),
  );
  const storedId = stored?.id;
  const current = stored && (JSON.parse((await completeBodies(trx, workspaceId, [stored]))[0]!) as Conversation);
  const contactBefore = await storedContact(trx, workspaceId, body.contact.uuid);
  const desired = await merge(trx, workspaceId, uuid, body, current, storedId, contactBefore, now);

  if (current && sameContent(current, desired, body.updated_at === undefined)) {
    return { created: false, conversationId: undefined, unchanged: current, scope: NO_ANSWER };
  }
  // A contact's fields show in each of its conversations, whichever agent or campaign they have.
  const { uuid: _, ...contactAfter } = desired.contact;
  const contactChanged = contactBefore !== undefined && !isDeepStrictEqual({ ...contactBefore }, contactAfter);
  const scope = contactChanged ? ANY_ANSWER : scopeOf(current, desired);
  // Forward only: a sync client polling with updated_since must see every change.
  if (current && body.updated_at === undefined) desired.updated_at = [toIso(now), current.updated_at].sort().at(-1)!;

  const fields = {
    type: desired.type,
    status: desired.status,
    responded_by: desired.responded_by,
    is_simulation: desired.is_simulation ? 1 : 0,
    channel: desired.channel,
    agent_id: await ensureEntity(trx, 'agents', workspaceId, desired.agent_uuid, now),
    contact_id: await saveContact(trx, workspaceId, desired.contact, now),
    listing_id: await ensureEntity(trx, 'listings', workspaceId, desired.listing_uuid, now),
    timestamp: fromIso(desired.timestamp),
    created_at: fromIso(desired.created_at),
    updated_at: fromIso(desired.updated_at),
  } as const;

  let conversationId: number;
  if (storedId !== undefined) {
    conversationId = storedId;
    await runCompiled(trx, 'update conversation', [...Object.values(fields), conversationId], () =>
      trx.updateTable('conversations').set(fields).where('id', '=', conversationId),
    );
  } else {
    const values = { workspace_id: workspaceId, uuid, ...fields };
    const [inserted] = await runCompiled(trx, 'insert conversation', Object.values(values), () =>
      trx.insertInto('conversations').values(values).returning('id'),
    );
    conversationId = inserted!.id;
  }

  await saveCall(trx, workspaceId, conversationId, desired.call, desired.campaign_uuid, now);
  if (desired.call && body.task_uuids !== undefined) await saveTasks(trx, workspaceId, desired.call.uuid, desired.task_uuids, now);
  if (body.session_uuids !== undefined) await saveSessions(trx, workspaceId, conversationId, desired.session_uuids, now);

  return { created: storedId === undefined, conversationId, scope };
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
  now: EpochSeconds,
): Promise<PutResult> {
  const written = await writeConversation(db, workspaceId, (trx) => write(trx, workspaceId, uuid.toLowerCase(), lowerCaseUuids(body), now));
  return { created: written.created, conversation: written.unchanged ?? presentConversation(written.record!), change: written.change };
}
