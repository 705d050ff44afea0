import type { Page, Response } from 'playwright-core';
import { expect, it } from 'vitest';
import { type Conversation, type ConversationListQuery, ParleyClient } from '../../clients/typescript/src/index.js';
import type { Chromium } from '../helpers/chromium.js';

/** A running Parley with data in one workspace, and a token of it. */
export interface Inbox {
  base: string;
  token: string;
  /** Revokes `token` the way an administrator would (the CLI). */
  revoke(): Promise<void>;
}

export interface StepOptions {
  /** Also wait for the list's polls (a 304, then a change seen without reloading): about ten seconds. */
  checkPolling: boolean;
}

const PER_PAGE = 15;
const POSTED = 30;
const posted = (n: number) => `e2e message ${String(n).padStart(2, '0')}`;
const count = (n: number) => `${n.toLocaleString('en-US')} ${n === 1 ? 'conversation' : 'conversations'}`;
/** The name the inbox shows for a contact. */
const nameOf = ({ contact }: Conversation) =>
  [contact.name, contact.surname].filter(Boolean).join(' ').trim() || contact.phone_number || contact.email || 'Unknown contact';
/** A phone number as the API compares it: without spaces, -, (, ), . and a leading +. */
const phoneDigits = (phone: string) => phone.replace(/[\s\-().]/g, '').replace(/^\+/, '');

/**
 * The user's path through the inbox, step by step, in one browser tab, each step checking what the
 * page shows against what the API answers for the same question. `inbox` is called once the
 * suite's beforeAll has started the server.
 */
export function inboxSteps(chromium: () => Chromium, inbox: () => Inbox, options: StepOptions) {
  let page: Page;
  let api: ParleyClient;
  let target: Conversation;
  let activeBeforeClose: number;
  const problems: string[] = [];
  const apiUrls: string[] = [];

  const total = (query: ConversationListQuery = {}) => api.listConversations({ ...query, per_page: 1 }).then((answer) => answer.total);
  const waitForTotal = (n: number) => page.locator('.summary .total', { hasText: new RegExp(`^${count(n)}$`) }).waitFor();
  const rowNames = () => page.locator('tbody .row-link').allTextContents();
  // Code run in the page is given as text: this file is type-checked with Node's globals, not the DOM's.
  const inPage = <T>(expression: string) => page.evaluate<T>(expression);
  const token = () => inPage<string | null>(`sessionStorage.getItem('parley.token')`);

  it('asks for a token, refuses a wrong one, and shows the list with the exact total once signed in', async () => {
    const { base, token: secret } = inbox();
    api = new ParleyClient({ baseUrl: base, token: secret });
    // The conversation the later steps open: first on page 2 of WhatsApp, given a transcript of two pages.
    target = (await api.listConversations({ channel: 'Whatsapp', page: 2, per_page: PER_PAGE })).data[0]!;
    const senders = ['Contact', 'AI', 'Human'] as const;
    for (let n = 1; n <= POSTED; n++) await api.postMessage(target.uuid, { sender: senders[(n - 1) % 3]!, content: posted(n) });

    page = await chromium().context.newPage();
    // Well inside the test's own timeout, so that a step that cannot happen fails with what it waited for.
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    // A refused resource (the expected 401s) is logged as an error too; anything else, a CSP violation above all, is a problem.
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(message.text());
    });
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.startsWith('/api/')) apiUrls.push(request.url());
    });

    await page.goto(`${base}/`);
    await page.getByLabel('API token').fill('prl_0000000000000000_not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Parley did not accept this token').waitFor();

    await page.getByLabel('API token').fill(secret);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await waitForTotal(await total());
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Conversations');
    expect(await rowNames()).toEqual((await api.listConversations({ per_page: PER_PAGE })).data.map(nameOf));
    expect(await token()).toBe(secret);
    expect(page.url()).toBe(`${base}/`);
  });

  it('filters by phone as the user types', async () => {
    const phone = (await api.listConversations({ per_page: 1, page: 7 })).data[0]!.contact.phone_number!;
    const fragment = phoneDigits(phone).slice(-6, -1);
    await page.getByLabel('Phone').pressSequentially(fragment, { delay: 60 });
    const expected = await total({ phone: fragment });
    await waitForTotal(expected);
    expect(new URL(page.url()).searchParams.get('phone')).toBe(fragment);
    const phones = await page.locator('tbody .phone').allTextContents();
    expect(phones).toHaveLength(Math.min(expected, PER_PAGE));
    for (const shown of phones) expect(phoneDigits(shown)).toContain(fragment);

    // A number nobody has: the empty state, with a way out.
    await page.getByLabel('Phone').fill('99999999999999999');
    expect(await total({ phone: '99999999999999999' })).toBe(0);
    await waitForTotal(0);
    await page.getByText('No conversation matches these filters.').waitFor();
    await page.getByRole('link', { name: 'Clear the filters' }).waitFor();
  });

  it('filters by channel, and the address keeps the filters across a reload', async () => {
    await page.getByLabel('Phone').fill('');
    await waitForTotal(await total());
    await page.getByRole('checkbox', { name: 'WhatsApp' }).check();
    const whatsapp = await total({ channel: 'Whatsapp' });
    await waitForTotal(whatsapp);
    expect(new URL(page.url()).search).toBe('?channel=Whatsapp');
    expect(new Set(await page.locator('tbody .channel').allTextContents())).toEqual(new Set(['WhatsApp']));

    await page.reload();
    await waitForTotal(whatsapp);
    expect(await page.getByRole('checkbox', { name: 'WhatsApp' }).isChecked()).toBe(true);
    expect(await page.getByRole('checkbox', { name: 'SMS' }).isChecked()).toBe(false);
  });

  it('pages forward', async () => {
    const whatsapp = await total({ channel: 'Whatsapp' });
    await page.getByRole('link', { name: 'Next page' }).click();
    await page.getByText(`Page 2 of ${Math.ceil(whatsapp / PER_PAGE)}`).waitFor();
    await page.getByText(`showing 16–${Math.min(30, whatsapp)}`).waitFor();
    const second = await api.listConversations({ channel: 'Whatsapp', page: 2, per_page: PER_PAGE });
    expect(await rowNames()).toEqual(second.data.map(nameOf));
    expect(new URL(page.url()).searchParams.get('page')).toBe('2');
  });

  it('opens a conversation from the keyboard and reads its transcript, a page at a time, by sender', async () => {
    await page.locator(`tr[data-uuid="${target.uuid}"] .row-link`).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: nameOf(target) }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/conversations/${target.uuid}`);
    expect(new URL(page.url()).search).toBe('?channel=Whatsapp&page=2');

    const messages = (await api.listMessages(target.uuid, { per_page: 1 })).total;
    await page.getByRole('heading', { name: `Transcript (${messages} messages)` }).waitFor();
    await page.getByText(posted(POSTED), { exact: true }).waitFor();
    expect(await page.getByText(posted(1), { exact: true }).count()).toBe(0);

    await page.getByRole('button', { name: 'Load older messages' }).click();
    await page.getByText(posted(1), { exact: true }).waitFor();
    expect(await page.getByRole('button', { name: 'Load older messages' }).count()).toBe(0);
    expect(await page.locator('.message').count()).toBe(messages);
    // Each bubble says who is speaking: the contact by name, the agents by kind.
    const senderOf = (n: number) =>
      page
        .locator('.message', { hasText: posted(n) })
        .locator('.sender')
        .textContent();
    expect([await senderOf(1), await senderOf(2), await senderOf(3)]).toEqual([nameOf(target), 'AI agent', 'Human agent']);
    // The keyboard focus moved to the first message that arrived, where reading goes on.
    expect(await inPage(`document.activeElement.classList.contains('message')`)).toBe(true);
  });

  it('closes the conversation, and the list shows the change', async () => {
    activeBeforeClose = await total({ channel: 'Whatsapp', status: 'Active' });
    expect(target.status).toBe('Active');
    await page.getByRole('button', { name: 'Close conversation' }).click();
    await page.getByText('Conversation closed.').waitFor();
    await page.getByRole('button', { name: 'Reopen conversation' }).waitFor();
    expect(await page.locator('.status-control .badge').textContent()).toBe('Closed');
    expect((await api.getConversation(target.uuid)).status).toBe('Closed');

    await page.getByRole('link', { name: 'Conversations', exact: true }).click();
    await page.locator(`tr[data-uuid="${target.uuid}"] .badge`, { hasText: 'Closed' }).waitFor();
    expect(new URL(page.url()).search).toBe('?channel=Whatsapp&page=2');

    await page.getByLabel('Status').selectOption('Active');
    await waitForTotal(activeBeforeClose - 1);
    expect(new URL(page.url()).search).toBe('?channel=Whatsapp&status=Active');
    expect(new Set(await page.locator('tbody .badge.status-active').allTextContents())).toEqual(new Set(['Active']));
  });

  if (options.checkPolling) {
    it('polls with If-None-Match: an unchanged list is a 304 that changes nothing on the page, a change shows by itself', async () => {
      const isListPoll = (response: Response) => new URL(response.url()).pathname === '/api/v1/conversations';
      await inPage(`
        window.mutations = 0;
        new MutationObserver((records) => (window.mutations += records.length))
          .observe(document.querySelector('main'), { subtree: true, childList: true, characterData: true, attributes: true });
      `);
      const unchanged = await page.waitForResponse((response) => isListPoll(response) && response.status() === 304, { timeout: 15_000 });
      expect(unchanged.request().headers()['if-none-match']).toMatch(/^W\/"/);
      expect(await inPage(`window.mutations`)).toBe(0);

      // Reopened elsewhere (here: by the API), the conversation comes back into the Active list without a reload.
      await api.setConversationStatus(target.uuid, 'Active');
      await waitForTotal(activeBeforeClose);
    });
  }

  it('fits a phone-sized screen', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    try {
      const overflow = () => inPage<number>(`document.documentElement.scrollWidth - document.documentElement.clientWidth`);
      expect(await overflow()).toBe(0);
      await page.locator('tbody .row-link').first().click();
      await page.getByRole('heading', { name: /^Transcript/ }).waitFor();
      expect(await overflow()).toBe(0);
      await page.goBack();
      await page.locator('tbody .row-link').first().waitFor();
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('signs out, and a revoked token sends the user back to sign in with a message', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You are signed out.').waitFor();
    expect(await token()).toBeNull();
    await page.reload();
    await page.getByLabel('API token').waitFor();

    await page.getByLabel('API token').fill(inbox().token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('tbody .row-link').first().waitFor();
    await inbox().revoke();
    // The list's next poll (within five seconds, untouched) is refused.
    await page.getByText('Your token is no longer accepted').waitFor();
    await page.getByLabel('API token').waitFor();
    expect(await token()).toBeNull();

    // Nowhere along the way did the token travel in an address.
    expect(apiUrls.length).toBeGreaterThan(10);
    for (const url of [...apiUrls, page.url()]) expect(url).not.toContain(inbox().token);
    expect(problems).toEqual([]);
    await page.close();
  });
}
