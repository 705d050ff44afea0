import type { FastifyReply } from 'fastify';

/**
 * Sends JSON text assembled by the handler as it is: Fastify passes a string with a JSON content
 * type through without serialising it again. For answers made of stored, already serialised
 * parts (conversation bodies); the route's response schema still documents the shape.
 */
export function sendJson(reply: FastifyReply, json: string): FastifyReply {
  return (reply as FastifyReply).type('application/json; charset=utf-8').send(json);
}
