import type { Generated, Insertable, Selectable } from 'kysely';

/** Seconds since the Unix epoch, UTC. The API only ever shows whole seconds, so that is what is stored. */
export type EpochSeconds = number;
/** 0 or 1: one representation of a flag that both SQLite and PostgreSQL index and compare alike. */
export type Flag = 0 | 1;

type Id = Generated<number>;

export interface WorkspacesTable {
  id: Id;
  uuid: string;
  subdomain: string;
  name: string;
  created_at: EpochSeconds;
  /** Moves on every write to the workspace's data; conditional GETs compare it (see http/etag.ts). */
  data_version: Generated<number>;
}

export interface ApiTokensTable {
  id: Id;
  workspace_id: number;
  /** The non-secret part of a token, shown by `token list` and used to find the row. */
  public_id: string;
  name: string;
  /** SHA-256 of the secret part, hex. The token itself is never stored. */
  secret_hash: string;
  created_at: EpochSeconds;
  revoked_at: EpochSeconds | null;
}

interface UuidEntityTable {
  id: Id;
  workspace_id: number;
  uuid: string;
  created_at: EpochSeconds;
}

export type AgentsTable = UuidEntityTable;
export type CampaignsTable = UuidEntityTable;
export type ListingsTable = UuidEntityTable;

export interface ContactsTable extends UuidEntityTable {
  name: string | null;
  surname: string | null;
  phone_number: string | null;
  /** phone_number without the characters the phone filter ignores; what the filter matches against. */
  phone_digits: string | null;
  email: string | null;
  updated_at: EpochSeconds;
}

export interface ConversationsTable {
  id: Id;
  workspace_id: number;
  uuid: string;
  type: string;
  status: string;
  responded_by: string | null;
  is_simulation: Flag;
  channel: string;
  agent_id: number | null;
  contact_id: number;
  listing_id: number | null;
  /** The campaign of the conversation's call, copied by triggers on calls; never written by the application. */
  campaign_id: Generated<number | null>;
  timestamp: EpochSeconds;
  created_at: EpochSeconds;
  updated_at: EpochSeconds;
  /** The conversation as the list shows it, serialised; NULL while stale (see conversations/body.ts). */
  body: Generated<string | null>;
}

export interface CallsTable {
  id: Id;
  workspace_id: number;
  uuid: string;
  conversation_id: number;
  campaign_id: number | null;
  direction: string | null;
  status: string | null;
  duration: number | null;
  recording_url: string | null;
  handled_by: string | null;
  summary: string | null;
  timestamp: EpochSeconds | null;
}

export interface SessionsTable {
  id: Id;
  workspace_id: number;
  uuid: string;
  conversation_id: number;
  started_at: EpochSeconds | null;
  ended_at: EpochSeconds | null;
  last_activity_at: EpochSeconds | null;
  summary: string | null;
  created_at: EpochSeconds;
  updated_at: EpochSeconds;
}

export interface TasksTable extends UuidEntityTable {
  /** The uuid of the call this task belongs to, as the platform that created the task knows it. */
  third_party_id: string | null;
}

export interface MessagesTable {
  id: Id;
  workspace_id: number;
  uuid: string;
  conversation_id: number;
  session_id: number | null;
  sender: string;
  message_type: string | null;
  content: string;
  created_at: EpochSeconds;
}

/** Kept by triggers (see the migration that adds it); never written by the application. */
export interface ConversationCountsTable {
  workspace_id: number;
  status: string;
  channel: string;
  /** 0 for conversations without an agent. */
  agent_id: number;
  n: number;
}

/** Every suffix of each contact's phone digits, kept by triggers (see the migration that adds it). */
export interface ContactPhoneSuffixesTable {
  workspace_id: number;
  suffix: string;
  contact_id: number;
  /** How many conversations the contact has. */
  conversations: number;
  /** The contact's newest conversation in the list's default order (`created_at`, then id); NULL while it has none. */
  newest_created_at: EpochSeconds | null;
  newest_id: number | null;
}

/** The totals of a workspace's common phone fragments, kept by triggers once a request adds them. */
export interface PhoneFragmentTotalsTable {
  workspace_id: number;
  fragment: string;
  /** How many conversations of the workspace have a contact whose digits contain `fragment`. */
  conversations: number;
}

/** Conversations per campaign, kept by triggers like the counts above. */
export interface CampaignCountsTable {
  workspace_id: number;
  campaign_id: number;
  n: number;
}

export interface Database {
  workspaces: WorkspacesTable;
  api_tokens: ApiTokensTable;
  agents: AgentsTable;
  campaigns: CampaignsTable;
  listings: ListingsTable;
  contacts: ContactsTable;
  conversations: ConversationsTable;
  calls: CallsTable;
  sessions: SessionsTable;
  tasks: TasksTable;
  messages: MessagesTable;
  conversation_counts: ConversationCountsTable;
  campaign_counts: CampaignCountsTable;
  contact_phone_suffixes: ContactPhoneSuffixesTable;
  phone_fragment_totals: PhoneFragmentTotalsTable;
}

export type Workspace = Selectable<WorkspacesTable>;
export type ApiToken = Selectable<ApiTokensTable>;
export type NewConversation = Insertable<ConversationsTable>;
export type NewCall = Insertable<CallsTable>;
