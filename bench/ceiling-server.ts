import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

/**
 * The ceiling: a bare Fastify process that answers every GET with the same bytes, a real list
 * page captured from Parley. No auth, no database, no serialisation: what a list request would
 * cost if the handler were free. Run by bench/ceiling.ts with CEILING_BODY and PORT set.
 */

const body = readFileSync(process.env.CEILING_BODY!);
const app = Fastify({ logger: false });
app.get('/*', (_request, reply) => {
  reply.type('application/json; charset=utf-8').send(body);
});

const shutdown = () => void app.close().then(() => process.exit(0));
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);

await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
