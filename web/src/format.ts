import type { Channel, Contact } from '@parley/client';

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const time = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });
const count = new Intl.NumberFormat();

/** An API time (UTC) in the reader's own time zone. */
export const formatDateTime = (iso: string | null | undefined) => (iso ? dateTime.format(new Date(iso)) : '—');
export const formatTime = (iso: string) => time.format(new Date(iso));
export const formatCount = (n: number) => count.format(n);

/** `1 conversation`, `2 conversations`. */
export const plural = (n: number, one: string, many = `${one}s`) => `${formatCount(n)} ${n === 1 ? one : many}`;

/** Seconds as `m:ss` or `h:mm:ss`. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** What to call a contact: their name, else their phone number or email, else a placeholder. */
export function contactName(contact: Contact): string {
  const name = [contact.name, contact.surname].filter(Boolean).join(' ').trim();
  return name || contact.phone_number || contact.email || 'Unknown contact';
}

/** The first block of a uuid: enough to tell agents and campaigns apart at a glance; the whole one is in the title. */
export const shortUuid = (uuid: string) => uuid.slice(0, 8);

const CHANNEL_LABELS: Record<Channel, string> = {
  Whatsapp: 'WhatsApp',
  SMS: 'SMS',
  Call: 'Call',
  Messenger: 'Messenger',
  Instagram: 'Instagram',
  Email: 'Email',
  Webchat: 'Web chat',
};
export const channelLabel = (channel: Channel) => CHANNEL_LABELS[channel];
