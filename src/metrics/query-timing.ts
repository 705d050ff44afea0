import type { KyselyPlugin, QueryId, RootOperationNode } from 'kysely';

const OPERATIONS: Partial<Record<RootOperationNode['kind'], string>> = {
  SelectQueryNode: 'select',
  InsertQueryNode: 'insert',
  UpdateQueryNode: 'update',
  DeleteQueryNode: 'delete',
  MergeQueryNode: 'merge',
  RawNode: 'raw',
};

export type TimerOf = (operation: string) => { observe(seconds: number): void };

/**
 * A Kysely plugin timing each query from compilation (`transformQuery`) to its result
 * (`transformResult`), by statement kind. Kysely calls nothing on a failed query, so failures are
 * not timed; the start times live in a WeakMap keyed by the query id and vanish with it.
 */
export function queryTimingPlugin(timerOf: TimerOf): KyselyPlugin {
  const started = new WeakMap<QueryId, { at: number; operation: string }>();
  return {
    transformQuery({ node, queryId }) {
      started.set(queryId, { at: performance.now(), operation: OPERATIONS[node.kind] ?? 'other' });
      return node;
    },
    async transformResult({ result, queryId }) {
      const start = started.get(queryId);
      if (start) {
        started.delete(queryId);
        timerOf(start.operation).observe((performance.now() - start.at) / 1000);
      }
      return result;
    },
  };
}
