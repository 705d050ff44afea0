import type { Transaction } from 'kysely';
import type { Database } from '../db/tables.js';
import { storeBodies } from '../conversations/body.js';
import { nowSeconds } from '../shared/time.js';
import { newConversationBody } from './body.js';
import type { ImportItem, RejectedLine } from './line.js';
import { rejection } from './line.js';
import {
  deleteDroppedSessions,
  deleteReplacedCalls,
  ensureEntities,
  insertConversations,
  saveCalls,
  saveContacts,
  saveConversations,
  saveMessages,
  saveSessions,
  saveTasks,
  unlinkTasks,
  valuesByUuid,
} from './repository.js';
import type { Statements } from './statements.js';

export interface BatchResult {
  written: number;
  rejected: RejectedLine[];
  /** Items that must be written in a later transaction, in order (see `writeBatch`). */
  deferred: ImportItem[];
}

/** What is stored now for the uuids a batch names: each call, session and message's conversation, each task's call. */
interface Stored {
  conversationIds: Map<string, number>;
  callOwners: Map<string, number>;
  sessionOwners: Map<string, number>;
  taskCalls: Map<string, string | null>;
  messageOwners: Map<string, number>;
}

async function readStored(st: Statements, trx: Transaction<Database>, workspaceId: number, items: ImportItem[]): Promise<Stored> {
  const conversations: string[] = [];
  const calls: string[] = [];
  const sessions: string[] = [];
  const tasks: string[] = [];
  const messages: string[] = [];
  for (const item of items) {
    conversations.push(item.uuid);
    if (item.call) calls.push(item.call.uuid);
    for (const uuid of item.sessionUuids) sessions.push(uuid);
    for (const uuid of item.taskUuids) tasks.push(uuid);
    if (item.messages) for (const message of item.messages) messages.push(message.uuid);
  }
  return {
    conversationIds: await valuesByUuid(st, trx, 'conversations', 'id', workspaceId, conversations),
    callOwners: await valuesByUuid(st, trx, 'calls', 'conversation_id', workspaceId, calls),
    sessionOwners: await valuesByUuid(st, trx, 'sessions', 'conversation_id', workspaceId, sessions),
    taskCalls: await valuesByUuid(st, trx, 'tasks', 'third_party_id', workspaceId, tasks),
    messageOwners: await valuesByUuid(st, trx, 'messages', 'conversation_id', workspaceId, messages),
  };
}

/**
 * Decides, line by line in file order, what a PUT of each line would have answered, given what
 * is stored and what the lines before it in the batch claim. Its answer is exact as long as no
 * earlier line of the batch changed what this one depends on; when one did (it releases a call,
 * session, task or message this line claims, or it is the same conversation), the line and all
 * after it are deferred to the next transaction, which reads them afresh.
 */
class Checker {
  private readonly conversations = new Set<string>();
  private readonly conversationIds = new Set<number>();
  private readonly calls = new Map<string, string>();
  private readonly sessions = new Map<string, string>();
  private readonly tasks = new Map<string, string>();
  private readonly messages = new Map<string, string>();

  constructor(private readonly stored: Stored) {}

  /** 'stale' when an earlier line of the batch may have changed the answer. */
  check(item: ImportItem): RejectedLine | 'stale' | null {
    if (this.conversations.has(item.uuid)) return 'stale';
    const id = this.stored.conversationIds.get(item.uuid);
    // Owned by another conversation: a conflict, unless that conversation was rewritten earlier in the batch.
    const owned = (owner: number | undefined) => owner !== undefined && owner !== id;
    const { stored } = this;

    if (item.call) {
      const uuid = item.call.uuid;
      const owner = stored.callOwners.get(uuid);
      if (this.calls.has(uuid) || owned(owner)) {
        if (!this.calls.has(uuid) && this.conversationIds.has(owner!)) return 'stale';
        return rejection(item.line, 'CONFLICT', `Call ${uuid} belongs to another conversation`, 'call.uuid');
      }
      for (const task of item.taskUuids) {
        const claimed = this.tasks.get(task);
        const linked = stored.taskCalls.get(task);
        if (claimed === undefined && (linked === undefined || linked === null || linked === uuid)) continue;
        // A call rewritten earlier in the batch unlinks the tasks it no longer lists.
        if (claimed === undefined && this.calls.has(linked!)) return 'stale';
        return rejection(item.line, 'CONFLICT', `Task ${task} belongs to another call`, 'task_uuids');
      }
    }
    for (const session of item.sessionUuids) {
      const owner = stored.sessionOwners.get(session);
      if (!this.sessions.has(session) && !owned(owner)) continue;
      if (!this.sessions.has(session) && this.conversationIds.has(owner!)) return 'stale';
      return rejection(item.line, 'CONFLICT', `Session ${session} belongs to another conversation`, 'session_uuids');
    }
    for (const [index, message] of (item.messages ?? []).entries()) {
      const owner = stored.messageOwners.get(message.uuid);
      if (!this.messages.has(message.uuid) && !owned(owner)) continue;
      if (!this.messages.has(message.uuid) && this.conversationIds.has(owner!)) return 'stale';
      return rejection(item.line, 'CONFLICT', `Message ${message.uuid} belongs to another conversation`, `messages.${index}.uuid`);
    }
    return null;
  }

  accept(item: ImportItem) {
    this.conversations.add(item.uuid);
    const id = this.stored.conversationIds.get(item.uuid);
    if (id !== undefined) this.conversationIds.add(id);
    if (item.call) {
      this.calls.set(item.call.uuid, item.uuid);
      for (const task of item.taskUuids) this.tasks.set(task, item.call.uuid);
    }
    for (const session of item.sessionUuids) this.sessions.set(session, item.uuid);
    for (const message of item.messages ?? []) this.messages.set(message.uuid, item.uuid);
  }
}

const distinct = <T>(values: Iterable<T | null>) => {
  const set = new Set<T>();
  for (const value of values) if (value !== null) set.add(value);
  return [...set];
};

/**
 * The rows of the accepted items, written as a PUT of each would leave them, one statement per
 * table. New conversations get ids drawn beforehand and bodies made from their lines (see
 * `newConversationBody`), which spares reading each back for the closing rebuild; where the
 * dialect allows, they are also inserted after their other rows, whole (see
 * `Statements.newConversationsLast`). Returns the ids of the contacts written, all the contacts of
 * the items.
 */
async function write(
  st: Statements,
  trx: Transaction<Database>,
  workspaceId: number,
  items: ImportItem[],
  stored: Stored,
): Promise<number[]> {
  const now = nowSeconds();
  const [agents, campaigns, listings] = [
    await ensureEntities(st, trx, 'agents', workspaceId, distinct(items.map((item) => item.agentUuid)), now),
    await ensureEntities(st, trx, 'campaigns', workspaceId, distinct(items.map((item) => item.campaignUuid)), now),
    await ensureEntities(st, trx, 'listings', workspaceId, distinct(items.map((item) => item.listingUuid)), now),
  ];

  // A contact named by several lines ends as the last of them says, as successive PUTs leave it.
  const finalContacts = new Map<string, ImportItem['contact']>();
  for (const { contact } of items) {
    finalContacts.delete(contact.uuid);
    finalContacts.set(contact.uuid, contact);
  }
  const contacts = await saveContacts(
    st,
    trx,
    workspaceId,
    [...finalContacts.values()].map((c) => [workspaceId, c.uuid, c.name, c.surname, c.phoneNumber, c.phoneDigits, c.email, now, now]),
  );

  const idOf = (map: Map<string, number>, uuid: string | null) => (uuid === null ? null : map.get(uuid)!);
  const conversationRow = (item: ImportItem) => [
    workspaceId,
    item.uuid,
    item.type,
    item.status,
    item.respondedBy,
    item.isSimulation,
    item.channel,
    idOf(agents, item.agentUuid),
    contacts.get(item.contact.uuid)!,
    idOf(listings, item.listingUuid),
    item.call ? idOf(campaigns, item.campaignUuid) : null,
    item.timestamp,
    item.createdAt,
    item.updatedAt,
  ];
  const added = items.filter((item) => !stored.conversationIds.has(item.uuid));
  const addedIds = await st.nextIds(trx, 'conversations', added.length);
  const addedId = new Map(added.map((item, i) => [item.uuid, addedIds[i]!]));
  const conversationId = (item: ImportItem) => stored.conversationIds.get(item.uuid) ?? addedId.get(item.uuid)!;
  await saveConversations(st, trx, items.filter((item) => stored.conversationIds.has(item.uuid)).map(conversationRow));
  const storedIds = distinct(items.map((item) => stored.conversationIds.get(item.uuid) ?? null));
  const newRows = (body: (item: ImportItem) => string | null) =>
    added.map((item) => [conversationId(item), ...conversationRow(item), body(item)]);
  if (st.newConversationsLast) {
    await st.deferReferences(trx);
  } else {
    await insertConversations(
      st,
      trx,
      newRows(() => null),
    );
  }

  const withCall = items.filter((item) => item.call);
  const callUuids = withCall.map((item) => item.call!.uuid);
  await deleteReplacedCalls(st, trx, workspaceId, storedIds, callUuids);
  await saveCalls(
    st,
    trx,
    withCall.map((item) => {
      const call = item.call!;
      return [
        workspaceId,
        call.uuid,
        conversationId(item),
        idOf(campaigns, item.campaignUuid),
        call.direction,
        call.status,
        call.duration,
        call.recordingUrl,
        call.handledBy,
        call.summary,
        call.timestamp,
      ];
    }),
  );

  const taskUuids = withCall.flatMap((item) => item.taskUuids);
  await unlinkTasks(st, trx, workspaceId, callUuids, taskUuids);
  // Listed order is creation order: a new workspace reads them back in the order given.
  await saveTasks(
    st,
    trx,
    withCall.flatMap((item) => item.taskUuids.map((task) => [workspaceId, task, item.call!.uuid, now])),
  );

  await deleteDroppedSessions(
    st,
    trx,
    workspaceId,
    storedIds,
    items.flatMap((item) => item.sessionUuids),
  );
  const sessionRows: unknown[][] = [];
  for (const item of items) {
    const span = new Map<string, [number, number]>();
    for (const message of item.messages ?? []) {
      if (message.sessionUuid === null) continue;
      const seen = span.get(message.sessionUuid);
      if (!seen) span.set(message.sessionUuid, [message.createdAt, message.createdAt]);
      else span.set(message.sessionUuid, [Math.min(seen[0], message.createdAt), Math.max(seen[1], message.createdAt)]);
    }
    const id = conversationId(item);
    for (const uuid of item.sessionUuids) {
      const [first, last] = span.get(uuid) ?? [null, null];
      sessionRows.push([workspaceId, uuid, id, first, last, now, now]);
    }
  }
  await saveSessions(st, trx, sessionRows);

  const bodyOf = (item: ImportItem) =>
    newConversationBody(item, conversationId(item), finalContacts.get(item.contact.uuid)!, stored.taskCalls);
  if (st.newConversationsLast) {
    await insertConversations(st, trx, newRows(bodyOf));
  } else {
    await storeBodies(
      trx,
      added.flatMap((item): [number, string][] => {
        const body = bodyOf(item);
        return body === null ? [] : [[conversationId(item), body]];
      }),
    );
  }

  const contactIds = [...contacts.values()];
  const withMessages = items.filter((item) => item.messages && item.messages.length > 0);
  if (withMessages.length === 0) return contactIds;
  const sessions = await valuesByUuid<number>(
    st,
    trx,
    'sessions',
    'id',
    workspaceId,
    distinct(withMessages.flatMap((item) => item.messages!.map((message) => message.sessionUuid))),
  );
  await saveMessages(
    st,
    trx,
    withMessages.flatMap((item) => {
      const id = conversationId(item);
      return item.messages!.map((m) => [
        workspaceId,
        m.uuid,
        id,
        idOf(sessions, m.sessionUuid),
        m.sender,
        m.messageType,
        m.content,
        m.createdAt,
      ]);
    }),
  );
  return contactIds;
}

/**
 * Writes a batch of items in one transaction, with the meaning of a PUT of each complete line in
 * file order: a line whose call, sessions, tasks or messages belong to another conversation is
 * rejected (the others are written), and a line whose answer depends on an earlier line of the
 * same batch is deferred, with all after it, to be written by the caller's next transaction.
 * `trx` must be a `writeTransaction`, which locked the workspace first: the reads here then see
 * everything earlier writers committed, and no other writer of the workspace can come between.
 */
export async function writeBatch(
  st: Statements,
  trx: Transaction<Database>,
  workspaceId: number,
  items: ImportItem[],
): Promise<BatchResult> {
  const stored = await readStored(st, trx, workspaceId, items);
  const checker = new Checker(stored);
  const accepted: ImportItem[] = [];
  const rejected: RejectedLine[] = [];
  let deferred: ImportItem[] = [];
  for (const [index, item] of items.entries()) {
    const outcome = checker.check(item);
    if (outcome === 'stale') {
      deferred = items.slice(index);
      break;
    }
    if (outcome) rejected.push(outcome);
    else {
      checker.accept(item);
      accepted.push(item);
    }
  }
  if (accepted.length > 0) {
    // Every contact and conversation a batch inserts is one of its items': their phone suffixes are
    // written once, after all of them, instead of by the triggers one row at a time.
    await st.withPhoneSuffixesAfter(trx, () => write(st, trx, workspaceId, accepted, stored));
  }
  return { written: accepted.length, rejected, deferred };
}
