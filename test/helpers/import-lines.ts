import { generateConversations } from '../../src/demo/generator.js';

/** Generated conversations with messages, as import lines (the list's shape plus `messages`). */
export function generatedLines(count: number, seed: number, now: Date) {
  return [...generateConversations({ count, seed, now, messages: true })].map(({ uuid, body, messages }) => ({
    uuid,
    ...body,
    messages,
  }));
}

/** Lines as an NDJSON text; a string is taken as a line already written. */
export const ndjson = (lines: unknown[]) => lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n') + '\n';

/** A text's lines, as `importNdjson` reads them. */
export async function* linesOf(text: string) {
  for (const line of text.split('\n')) yield line;
}
