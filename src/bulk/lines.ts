/** A line longer than the reader keeps in memory: skipped whole, and reported as a rejected line. */
export class OversizedLine {
  constructor(readonly bytes: number) {}
}

export const MAX_LINE_BYTES = 16 * 1024 * 1024;

const NEWLINE = 0x0a;

function decode(parts: Buffer[], first: boolean): string {
  let text = (parts.length === 1 ? parts[0]! : Buffer.concat(parts)).toString('utf8');
  if (text.endsWith('\r')) text = text.slice(0, -1);
  // A byte-order mark is how some editors start a UTF-8 file; it is not part of the first line's JSON.
  if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text;
}

/**
 * Splits a byte stream into its lines, one at a time, so that memory holds one line however
 * large the file. A line longer than `maxLineBytes` is skipped and given as an `OversizedLine`,
 * so that line numbers still count it. A final line without a newline is a line too.
 */
export async function* readLines(
  input: AsyncIterable<Buffer | string>,
  { maxLineBytes = MAX_LINE_BYTES }: { maxLineBytes?: number } = {},
): AsyncGenerator<string | OversizedLine> {
  let parts: Buffer[] = [];
  let pending = 0;
  let oversized = false;
  let first = true;
  for await (const raw of input) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE, start); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      pending += end - start;
      if (oversized || pending > maxLineBytes) {
        yield new OversizedLine(pending);
      } else {
        parts.push(chunk.subarray(start, end));
        yield decode(parts, first);
      }
      first = false;
      parts = [];
      pending = 0;
      oversized = false;
      start = end + 1;
    }
    if (start < chunk.length) {
      pending += chunk.length - start;
      if (pending > maxLineBytes) {
        oversized = true;
        parts = [];
      } else if (!oversized) {
        // A copy: the stream may reuse its buffer for the next chunk.
        parts.push(Buffer.from(chunk.subarray(start)));
      }
    }
  }
  if (oversized) yield new OversizedLine(pending);
  else if (pending > 0) yield decode(parts, first);
}
