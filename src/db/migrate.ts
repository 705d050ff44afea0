import { type Kysely, type Migration, type MigrationResultSet, Migrator } from 'kysely';
import { workspacesWithStaleBodies } from '../conversations/body.js';
import { writeTransaction } from './transaction.js';
import * as createCoreTables from './migrations/2026-11-25T120000-create-core-tables.js';
import * as addDataVersion from './migrations/2026-11-25T140000-add-data-version-and-message-order.js';
import * as addCountsAndPhoneIndex from './migrations/2026-11-25T160000-add-counts-and-phone-index.js';
import * as countTriggersPerChangedRow from './migrations/2026-11-25T230000-count-triggers-per-changed-row.js';
import * as denormaliseCallCampaign from './migrations/2026-11-25T180000-denormalise-call-campaign.js';
import * as addConversationBody from './migrations/2026-11-25T200000-add-conversation-body.js';
import * as addCampaignCounts from './migrations/2026-11-25T210000-add-campaign-counts-and-agent-status-channel-index.js';
import * as indexCountsByAgent from './migrations/2026-11-26T020000-index-counts-by-agent.js';
import * as deferrableConversationReferences from './migrations/2026-11-26T060000-deferrable-conversation-references.js';
import * as addPhoneTotalMarks from './migrations/2026-11-26T080000-add-phone-total-marks.js';
import * as indexPhoneSuffixes from './migrations/2026-11-26T140000-index-phone-suffixes.js';
import * as keepNewestPerPhoneSuffix from './migrations/2026-11-27T220000-keep-newest-conversation-per-phone-suffix.js';
import * as keepCommonPhoneFragmentTotals from './migrations/2026-11-28T000000-keep-common-phone-fragment-totals.js';
import * as deferPhoneSuffixesInBulkWrites from './migrations/2026-11-28T060000-defer-phone-suffixes-in-bulk-writes.js';

/** Listed here rather than read from the folder, so the same code runs from `src` under tsx and from `dist`. */
const migrations: Record<string, Migration> = {
  '2026-11-25T120000-create-core-tables': createCoreTables,
  '2026-11-25T140000-add-data-version-and-message-order': addDataVersion,
  '2026-11-25T160000-add-counts-and-phone-index': addCountsAndPhoneIndex,
  '2026-11-25T180000-denormalise-call-campaign': denormaliseCallCampaign,
  '2026-11-25T200000-add-conversation-body': addConversationBody,
  '2026-11-25T210000-add-campaign-counts-and-agent-status-channel-index': addCampaignCounts,
  '2026-11-25T230000-count-triggers-per-changed-row': countTriggersPerChangedRow,
  '2026-11-26T020000-index-counts-by-agent': indexCountsByAgent,
  '2026-11-26T060000-deferrable-conversation-references': deferrableConversationReferences,
  '2026-11-26T080000-add-phone-total-marks': addPhoneTotalMarks,
  '2026-11-26T140000-index-phone-suffixes': indexPhoneSuffixes,
  '2026-11-27T220000-keep-newest-conversation-per-phone-suffix': keepNewestPerPhoneSuffix,
  '2026-11-28T000000-keep-common-phone-fragment-totals': keepCommonPhoneFragmentTotals,
  '2026-11-28T060000-defer-phone-suffixes-in-bulk-writes': deferPhoneSuffixesInBulkWrites,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the migrator works on any schema
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResultSet> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const result = await migrator.migrateToLatest();
  if (result.error) throw result.error;
  // A migration can leave conversation bodies stale (the one adding them leaves all); each
  // workspace's rebuild is one write transaction, which rebuilds every stale body it finds.
  if (result.results?.length) {
    for (const workspaceId of await workspacesWithStaleBodies(db)) await writeTransaction(db, workspaceId, async () => {});
  }
  return result;
}

/** The names of the migrations not yet applied, oldest first; reads only (for `parley doctor`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the migrator works on any schema
export async function pendingMigrations(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  return (await migrator.getMigrations()).filter((migration) => migration.executedAt === undefined).map((migration) => migration.name);
}
