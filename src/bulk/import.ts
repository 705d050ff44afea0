import type { Kysely } from 'kysely';
import { countConversations } from '../conversations/repository.js';
import { dialectOf, isDatabaseUnavailable } from '../db/dialect.js';
import { writeTransaction } from '../db/transaction.js';
import type { Database } from '../db/tables.js';
import { type ImportItem, isRejected, parseLine, type RejectedLine, rejection } from './line.js';
import { OversizedLine } from './lines.js';
import { Statements } from './statements.js';
import { writeBatch } from './writer.js';

export interface ImportCounts {
  /** Lines read so far, blank ones included. */
  lines: number;
  /** Conversations written (a line that changed nothing counts: it is in the database as given). */
  imported: number;
  rejected: number;
}

export interface ImportOptions {
  /** After each batch is committed; `imported` first, for a progress display's rate. */
  onProgress?: (imported: number, counts: ImportCounts) => void;
  /** Each rejected line, in line order, as soon as its batch is settled. */
  onReject?: (rejected: RejectedLine) => void;
  /** Conversations per transaction; by default what suits the database (DEFAULT_BATCH_SIZE). */
  batchSize?: number;
  /** How many rejections the result keeps; the rest are only counted (and given to `onReject`). */
  keepRejections?: number;
}

export interface ImportResult {
  imported: number;
  /** The first `keepRejections` rejected lines. */
  rejected: RejectedLine[];
  /** Every rejected line, kept or not. */
  rejectedCount: number;
  lines: number;
}

/**
 * Conversations per transaction. SQLite gains most from large ones: each commit writes every
 * page the batch touched, and random uuids spread even a small batch over most index pages
 * (measured at 100,000 conversations: 5,000 per batch imports about twice as fast as 1,000). A
 * batch of 5,000 holds SQLite's write lock for about half a second. PostgreSQL gains nothing
 * past 1,000.
 */
export const DEFAULT_BATCH_SIZE = { sqlite: 5000, postgres: 1000 } as const;
/** A batch is also cut at this many messages or this much text, so that one holding long transcripts stays small. */
const MAX_BATCH_MESSAGES = 20_000;
const MAX_BATCH_CHARS = 32 * 1024 * 1024;
const DEFAULT_KEPT_REJECTIONS = 1000;
/**
 * Planner statistics are refreshed once the workspace holds this many conversations, then each
 * time it has doubled since the last refresh (or since the import began), and once at the end
 * (see `refreshStatistics`).
 */
const FIRST_STATISTICS_AT = 5000;

/**
 * Writes items in order, each batch in transactions of its own, as PUTs of the items one by one
 * would leave the data. Shared by import and seed.
 */
export class BatchWriter {
  private readonly st: Statements;
  private inflight: Promise<void> = Promise.resolve();
  private restore: (() => Promise<void>) | undefined;
  private written = 0;
  private writtenAtStatistics = 0;
  /** The workspace's conversations before the import, which its statistics already cover. */
  private before = 0;
  /** The batch size that suits the database. */
  readonly batchSize: number;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly workspaceId: number,
    private readonly settled: (written: number, rejected: RejectedLine[]) => void,
  ) {
    const dialect = dialectOf(db);
    this.st = new Statements(dialect);
    this.batchSize = DEFAULT_BATCH_SIZE[dialect];
  }

  /** Before the first push. */
  async start(): Promise<void> {
    this.restore = await this.st.widenForBulk(this.db);
    this.before = await countConversations(this.db, this.workspaceId);
  }

  /**
   * Queues a batch behind the one being written; resolves once the previous batch is settled,
   * so that the caller prepares the next batch while the database writes this one.
   */
  async push(items: ImportItem[], rejectedEarly: RejectedLine[] = []): Promise<void> {
    const previous = this.inflight;
    await previous;
    this.inflight = this.write(items).then(async ({ written, rejected }) => {
      const all = rejectedEarly.length === 0 ? rejected : [...rejectedEarly, ...rejected].sort((a, b) => a.line - b.line);
      this.written += written;
      // The workspace's size, were every line new.
      const size = this.before + this.written;
      if (size >= Math.max(FIRST_STATISTICS_AT, 2 * (this.before + this.writtenAtStatistics))) await this.refreshStatistics();
      this.settled(written, all);
    });
    // Surface a failure of this batch at the latest on the next push or on finish.
    this.inflight.catch(() => {});
    // SQLite writes on this very thread: preparing the next batch meanwhile gains nothing, and
    // would only hold two batches in memory.
    if (this.st.dialect === 'sqlite') await this.inflight;
  }

  /** After the last push, failed or not: waits for the last batch and puts the connection back. */
  async finish(): Promise<void> {
    try {
      await this.inflight;
      if (this.written > this.writtenAtStatistics) await this.refreshStatistics();
    } finally {
      // Best effort: after a lost connection there is nothing to put back.
      await this.restore?.().catch(() => {});
    }
  }

  /**
   * Tables that grow from nothing to millions of rows within one import outgrow the plans their
   * statistics gave: measured on PostgreSQL (whose autovacuum may be off, or not yet round), the
   * body rebuild's session lookup went from an index probe per conversation to a scan of the
   * workspace's sessions, and a 100,000-line import slowed to a tenth of its starting rate. The
   * conversations already there count: statistics are good until the workspace has doubled, and
   * an import of 50,000 into a workspace of 100,000 spent a tenth of its time in five ANALYZEs
   * when the schedule followed the import's own count.
   */
  private async refreshStatistics(): Promise<void> {
    this.writtenAtStatistics = this.written;
    await this.st.refreshStatistics(this.db);
  }

  /** writeTransaction bumps the workspace's data version first and runs again after a unique-index race. */
  private transaction(items: ImportItem[]) {
    return writeTransaction(this.db, this.workspaceId, (trx) => writeBatch(this.st, trx, this.workspaceId, items));
  }

  private async write(items: ImportItem[]): Promise<{ written: number; rejected: RejectedLine[] }> {
    let written = 0;
    const rejected: RejectedLine[] = [];
    for (let pending = items; pending.length > 0;) {
      try {
        const result = await this.transaction(pending);
        written += result.written;
        rejected.push(...result.rejected);
        pending = result.deferred;
      } catch (error) {
        if (isDatabaseUnavailable(error)) throw error;
        // Checks run before any write, so this is unexpected: find the line the database refuses
        // by writing the batch one line at a time, and keep the others.
        if (pending.length === 1) {
          const message = error instanceof Error ? error.message : String(error);
          rejected.push(rejection(pending[0]!.line, 'INTERNAL_ERROR', `The database refused this line: ${message}`));
          pending = [];
        } else {
          for (const item of pending) {
            const single = await this.write([item]);
            written += single.written;
            rejected.push(...single.rejected);
          }
          pending = [];
        }
      }
    }
    return { written, rejected };
  }
}

/**
 * Imports NDJSON lines into a workspace: one conversation per line, in the shape the list
 * returns (every key present), optionally with its `messages`. Each line means what a PUT of
 * it would (plus an upsert of its messages); a bad line is rejected with the API's reason and
 * the others land. Memory stays bounded whatever the number of lines.
 */
export async function importNdjson(
  db: Kysely<Database>,
  workspaceId: number,
  lines: AsyncIterable<string | OversizedLine>,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const keep = options.keepRejections ?? DEFAULT_KEPT_REJECTIONS;
  const counts: ImportCounts = { lines: 0, imported: 0, rejected: 0 };
  const kept: RejectedLine[] = [];

  const writer = new BatchWriter(db, workspaceId, (written, rejected) => {
    counts.imported += written;
    counts.rejected += rejected.length;
    for (const line of rejected) {
      if (kept.length < keep) kept.push(line);
      options.onReject?.(line);
    }
    options.onProgress?.(counts.imported, { ...counts });
  });

  const batchSize = options.batchSize ?? writer.batchSize;
  let batch: ImportItem[] = [];
  let early: RejectedLine[] = [];
  let messages = 0;
  let chars = 0;
  const flush = async () => {
    const [items, rejected] = [batch, early];
    batch = [];
    early = [];
    messages = 0;
    chars = 0;
    await writer.push(items, rejected);
  };

  await writer.start();
  try {
    for await (const text of lines) {
      const line = ++counts.lines;
      if (text instanceof OversizedLine) {
        early.push(rejection(line, 'PAYLOAD_TOO_LARGE', `The line is longer than the limit (${text.bytes} bytes)`));
        continue;
      }
      if (text.trim() === '') continue;
      const item = parseLine(line, text);
      if (isRejected(item)) early.push(item);
      else {
        batch.push(item);
        messages += item.messages?.length ?? 0;
        chars += text.length;
      }
      if (batch.length >= batchSize || messages >= MAX_BATCH_MESSAGES || chars >= MAX_BATCH_CHARS || early.length >= batchSize) {
        await flush();
      }
    }
    await flush();
  } finally {
    await writer.finish();
  }
  return { imported: counts.imported, rejected: kept, rejectedCount: counts.rejected, lines: counts.lines };
}
