import { once } from 'node:events';

const CHUNK = 64 * 1024;

/**
 * Writes `lines` to `stream` in chunks of about 64 KiB, waiting whenever the stream asks to.
 * A reader that goes away (`parley export … | head`) ends the output quietly: EPIPE is not an
 * error here.
 */
export async function writeOutput(stream: NodeJS.WritableStream, lines: AsyncIterable<string>): Promise<void> {
  let failure: NodeJS.ErrnoException | undefined;
  // Left in place: a write that fails after the last one here must not crash the process either.
  stream.on('error', (error: NodeJS.ErrnoException) => (failure ??= error));
  const closed = once(stream, 'error').catch(() => {});
  let buffer = '';
  const flush = async () => {
    const chunk = buffer;
    buffer = '';
    if (!stream.write(chunk)) await Promise.race([once(stream, 'drain').catch(() => {}), closed]);
  };
  for await (const line of lines) {
    if (failure) break;
    buffer += line;
    if (buffer.length >= CHUNK) await flush();
  }
  if (!failure && buffer) await flush();
  if (failure && failure.code !== 'EPIPE') throw failure;
}
