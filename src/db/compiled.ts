import { CompiledQuery, type Kysely } from 'kysely';

/**
 * Runs a query of fixed shape with Kysely's SQL compiled once per database and name: building and
 * compiling a query costs more than SQLite takes to run a small one, and the hot path runs the
 * same few on every request. `build` must produce exactly `parameters`, in order, as its
 * parameters (checked when it is compiled).
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema will do
const compiled = new WeakMap<Kysely<any>, Map<string, string>>();
/** Names can carry a list's length or a page size: bounded, in case clients vary those widely. */
const MAX_COMPILED = 2000;

export async function runCompiled<R>(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema will do
  db: Kysely<any>,
  name: string,
  parameters: readonly unknown[],
  build: () => { compile(): CompiledQuery<R> },
): Promise<R[]> {
  let texts = compiled.get(db);
  if (!texts) compiled.set(db, (texts = new Map()));
  let text = texts.get(name);
  if (text === undefined) {
    const query = build().compile();
    if (JSON.stringify(query.parameters) !== JSON.stringify(parameters)) {
      throw new Error(`compiled query ${name}: its parameters are not the ones given`);
    }
    if (texts.size >= MAX_COMPILED) texts.clear();
    texts.set(name, (text = query.sql));
  }
  return (await db.executeQuery<R>(CompiledQuery.raw(text, [...parameters]))).rows;
}
