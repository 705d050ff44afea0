import type { Kysely } from 'kysely';
import { generateConversations } from '../demo/generator.js';
import type { Database } from '../db/tables.js';
import { BatchWriter } from './import.js';
import { type ImportItem, type ImportLine, isRejected, type RejectedLine, toImportItem } from './line.js';

export interface SeedOptions {
  conversations: number;
  /** Same seed, count and `now`: the same data, uuids included. Default 1. */
  seed?: number;
  /** The data spans the 90 days before this moment. Default: the start of the current UTC day, so that a day's seeds agree. */
  now?: Date;
  /** After each batch is committed, with the number of conversations written so far. */
  onProgress?: (done: number) => void;
}

export const DEFAULT_SEED = 1;

export function startOfUtcDay(date = new Date()): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

/**
 * Writes `conversations` generated conversations (src/demo/generator.ts), each with a few
 * messages, into the workspace, through import's batch writer. Writing the same seed again
 * changes nothing; the workspace must exist.
 */
export async function seedWorkspace(db: Kysely<Database>, workspaceId: number, options: SeedOptions): Promise<void> {
  const { conversations, seed = DEFAULT_SEED, now = startOfUtcDay(), onProgress } = options;
  let done = 0;
  let failure: RejectedLine | undefined;
  const writer = new BatchWriter(db, workspaceId, (written, rejected) => {
    done += written;
    failure ??= rejected[0];
    onProgress?.(done);
  });
  let batch: ImportItem[] = [];
  let line = 0;
  const batchSize = writer.batchSize;
  await writer.start();
  try {
    for (const { uuid, body, messages } of generateConversations({ count: conversations, seed, now, messages: true })) {
      // The generator writes every key of the list's shape; the writer takes it as a checked line.
      const item = toImportItem(++line, { uuid, ...body, messages } as ImportLine);
      if (isRejected(item)) throw new Error(`The generator made an invalid conversation ${uuid}: ${item.reason}`);
      batch.push(item);
      if (batch.length >= batchSize) {
        await writer.push(batch);
        batch = [];
      }
    }
    await writer.push(batch);
  } finally {
    await writer.finish();
  }
  // Only another writer claiming the generated uuids in between could cause this.
  if (failure) throw new Error(`Conversation ${failure.line} of the seed could not be written: ${failure.reason}`);
}
