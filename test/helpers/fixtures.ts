import { randomUUID } from 'node:crypto';

/** A complete PUT body in the list's shape, with fresh uuids; `overrides` replaces top-level keys. */
export function conversationBody(overrides: Record<string, unknown> = {}) {
  const callUuid = randomUUID();
  return {
    type: 'Real',
    status: 'Active',
    responded_by: 'AI',
    is_simulation: false,
    timestamp: '2024-03-01T10:05:00Z',
    created_at: '2024-03-01T10:00:00Z',
    updated_at: '2024-03-01T10:05:00Z',
    agent_uuid: randomUUID(),
    channel: 'Whatsapp',
    contact: { uuid: randomUUID(), name: 'Ada', surname: 'Lovelace', phone_number: '+44 20 7946 0958', email: 'ada@example.com' },
    session_uuids: [randomUUID()],
    campaign_uuid: randomUUID(),
    listing_uuid: randomUUID(),
    task_uuids: [randomUUID()],
    call: {
      uuid: callUuid,
      direction: 'Inbound',
      status: 'completed',
      duration: 93,
      recording_url: 'https://recordings.example.com/a.mp3',
      handled_by: 'AI',
      summary: 'Asked about opening hours',
      timestamp: '2024-03-01T10:01:00Z',
    },
    ...overrides,
  };
}

/** A minimal PUT body: only what is required. */
export function minimalBody(overrides: Record<string, unknown> = {}) {
  return { channel: 'SMS', contact: { uuid: randomUUID() }, ...overrides };
}
