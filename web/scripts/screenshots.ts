/**
 * The README's pictures of the inbox: `npx tsx web/scripts/screenshots.ts` writes
 * docs/screenshots/inbox-list.png and docs/screenshots/inbox-conversation.png.
 *
 * It starts a real Parley on a throwaway SQLite file filled by `parley seed` (the demo data with
 * transcripts, at a fixed seed and date, so the pictures only change when the inbox does), and
 * drives Debian's Chromium at a desktop width.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Conversation, ParleyClient } from '../../clients/typescript/src/index.js';
import { launchChromium } from '../../test/helpers/chromium.js';
import { parley } from '../../test/helpers/cli.js';
import { startServer, stopServer } from '../../test/helpers/server-process.js';
import { buildWeb, webBuildIsStale } from './build.js';

const OUT = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const SEED = ['--conversations', '300', '--seed', '20261125', '--now', '2026-11-25T00:00:00Z'];

async function run(command: Promise<{ code: number | null; stdout: string; stderr: string }>): Promise<string> {
  const { code, stdout, stderr } = await command;
  if (code !== 0) throw new Error(`parley exited with ${code}: ${stderr}`);
  return stdout.trim();
}

/**
 * A conversation that shows every part of the page: a call with a recording and a summary,
 * sessions, a transcript of a few messages; and a contact name in Latin script, which any
 * machine's fonts can draw.
 */
async function showcase(client: ParleyClient): Promise<Conversation> {
  for await (const conversation of client.iterateConversations({ channel: 'Whatsapp', per_page: 100 })) {
    const { call, contact } = conversation;
    if (!call?.recording_url || !call.summary || conversation.session_uuids.length === 0) continue;
    if (!/^[\p{Script=Latin} '-]+$/u.test(`${contact.name} ${contact.surname}`)) continue;
    const messages = await client.listMessages(conversation.uuid, { per_page: 1 });
    if (messages.total >= 4) return conversation;
  }
  throw new Error('no conversation with a recording, sessions and four messages in the seeded data');
}

async function main() {
  if (webBuildIsStale()) await buildWeb();
  const dir = mkdtempSync(join(tmpdir(), 'parley-screenshots-'));
  const databaseUrl = `sqlite:${join(dir, 'parley.db')}`;
  await run(parley(databaseUrl, ['seed', 'demo', ...SEED]));
  const token = await run(parley(databaseUrl, ['token', 'create', 'demo', '--name', 'screenshots']));
  const server = await startServer({ DATABASE_URL: databaseUrl });
  const base = `http://127.0.0.1:${server.port}`;
  const chromium = await launchChromium({ width: 1280, height: 860 });
  try {
    const conversation = await showcase(new ParleyClient({ baseUrl: base, token }));
    const page = await chromium.context.newPage();
    await page.goto(`${base}/`);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Next page' }).waitFor();
    // The pointer rests where the sign-in button was: move it off the rows, whose hover shading would show.
    await page.mouse.move(0, 0);
    mkdirSync(OUT, { recursive: true });
    await page.screenshot({ path: join(OUT, 'inbox-list.png'), fullPage: true });

    await page.goto(`${base}/conversations/${conversation.uuid}`);
    await page.locator('.message').first().waitFor();
    await page.getByText('Sessions (').waitFor();
    await page.screenshot({ path: join(OUT, 'inbox-conversation.png'), fullPage: true });

    console.log(`wrote ${join(OUT, 'inbox-list.png')} and ${join(OUT, 'inbox-conversation.png')}`);
  } finally {
    await chromium.close();
    await stopServer(server);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
