import { CompiledQuery, type DialectAdapter, type Kysely, type RootOperationNode } from 'kysely';

/**
 * Runs a query of fixed shape with Kysely's SQL compiled once per database and name: building and
 * compiling a query costs more than SQLite takes to run a small one, and the hot path runs the
 * same few on every request. `build` must produce exactly `parameters`, in order, as its
 * parameters (checked when it is compiled). A name stands for one text: whatever changes the text
 * belongs in the name (a list's length, a condition added or not), and so would an `undefined`
 * value, which Kysely leaves out of an insert or update: callers pass `null` instead.
 *
 * Kept by the database's adapter, which its transactions share: each transaction is a Kysely
 * instance of its own, and keyed by instance every write compiled its queries afresh. Each run
 * still shows the plugins its query (the metrics time every query from there), as a built query would.
 */

interface Compiled {
  text: string;
  node: RootOperationNode;
}

const compiled = new WeakMap<DialectAdapter, Map<string, Compiled>>();
/** Names can carry a list's length or a page size: bounded, in case clients vary those widely. */
const MAX_COMPILED = 2000;

export async function runCompiled<R>(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema will do
  db: Kysely<any>,
  name: string,
  parameters: readonly unknown[],
  build: () => { compile(): CompiledQuery<R> },
): Promise<R[]> {
  const executor = db.getExecutor();
  let queries = compiled.get(executor.adapter);
  if (!queries) compiled.set(executor.adapter, (queries = new Map()));
  let query = queries.get(name);
  if (query === undefined) {
    const built = build().compile();
    if (JSON.stringify(built.parameters) !== JSON.stringify(parameters)) {
      throw new Error(`compiled query ${name}: its parameters are not the ones given`);
    }
    if (queries.size >= MAX_COMPILED) queries.clear();
    queries.set(name, (query = { text: built.sql, node: built.query }));
  }
  const run = CompiledQuery.raw(query.text, [...parameters]);
  executor.transformQuery(query.node, run.queryId);
  return (await db.executeQuery<R>(run)).rows;
}
