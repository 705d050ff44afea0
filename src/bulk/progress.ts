/**
 * Progress of a long command on stderr: a bar redrawn in place on a terminal, a plain line
 * every few seconds otherwise (a log file or a CI job wants lines, not carriage returns).
 */
export interface ProgressOptions {
  /** "Imported", "Seeded": the verb of the lines. */
  verb: string;
  /** Redraw interval on a terminal, and line interval elsewhere. */
  terminalIntervalMs?: number;
  lineIntervalMs?: number;
}

const WIDTH = 24;
const number = new Intl.NumberFormat('en-US');

/** `1 conversation`, `12,000 conversations`. */
export const conversations = (n: number) => `${number.format(n)} ${n === 1 ? 'conversation' : 'conversations'}`;

export class Progress {
  private readonly started = Date.now();
  private lastDrawn = 0;
  private done = 0;
  private fraction: number | undefined;
  private drawn = false;
  private readonly tty: boolean;

  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly options: ProgressOptions,
  ) {
    this.tty = stream.isTTY === true;
  }

  private rate(now: number): number {
    const seconds = (now - this.started) / 1000;
    return seconds > 0 ? Math.round(this.done / seconds) : 0;
  }

  private text(now: number): string {
    const counts = `${conversations(this.done)}, ${number.format(this.rate(now))}/s`;
    if (this.fraction === undefined || !this.tty) {
      const share = this.fraction === undefined ? '' : ` (${Math.floor(Math.min(1, this.fraction) * 100)}%)`;
      return `${this.options.verb} ${counts}${share}`;
    }
    const filled = Math.round(Math.min(1, this.fraction) * WIDTH);
    const percent = `${Math.floor(Math.min(1, this.fraction) * 100)}%`.padStart(4);
    return `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${percent} ${counts}`;
  }

  /** `done` conversations so far; `fraction` of the whole when it is known. */
  update(done: number, fraction?: number) {
    this.done = done;
    this.fraction = fraction;
    const now = Date.now();
    const interval = this.tty ? (this.options.terminalIntervalMs ?? 100) : (this.options.lineIntervalMs ?? 5000);
    if (now - this.lastDrawn < interval) return;
    this.lastDrawn = now;
    if (this.tty) {
      this.stream.write(`\r\x1b[K${this.text(now)}`);
      this.drawn = true;
    } else {
      this.stream.write(`${this.text(now)}\n`);
    }
  }

  /** A line of its own (a rejected line, say), without garbling the bar. */
  log(line: string) {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.stream.write(`${line}\n`);
    if (this.drawn) this.stream.write(this.text(Date.now()));
  }

  /** Clears the bar; the caller prints the summary. */
  finish() {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }

  /** Seconds since the start, for the summary. */
  elapsed(): number {
    return (Date.now() - this.started) / 1000;
  }

  averageRate(): number {
    return this.rate(Date.now());
  }
}
