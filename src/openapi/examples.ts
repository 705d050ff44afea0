/**
 * Example values shown in the OpenAPI document, by operation. They are values, not shapes: the
 * OpenAPI test validates each one against the schema it illustrates, so they cannot drift.
 */

const CONVERSATION = {
  uuid: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
  type: 'Real',
  status: 'Active',
  responded_by: 'AI',
  is_simulation: false,
  timestamp: '2023-11-07T05:34:02Z',
  created_at: '2023-11-07T05:31:56Z',
  updated_at: '2023-11-07T05:34:02Z',
  agent_uuid: '5f0c1b2e-7d43-4c1a-9a61-0e2b8c4d7f10',
  channel: 'Whatsapp',
  contact: {
    uuid: '8f14e45f-ceea-4e7b-9c5a-2b8e6f1d9a11',
    name: 'Ayşe',
    surname: 'Yılmaz',
    phone_number: '+90 (532) 123-4567',
    email: 'ayse@example.com',
  },
  session_uuids: ['c4ca4238-a0b9-4382-8dcc-509a6f75849b'],
  campaign_uuid: 'a87ff679-a2f3-4e71-9181-a67b7542122c',
  listing_uuid: null,
  task_uuids: ['e4da3b7f-bbce-4345-9777-2b0674a318d5'],
  call: {
    uuid: '1679091c-5a88-4faf-afb5-e6087eb1b2dc',
    direction: 'Inbound',
    status: 'completed',
    duration: 123,
    recording_url: 'https://recordings.example.com/1679091c.mp3',
    handled_by: 'AI',
    summary: 'Asked about opening hours; booked a visit for Friday',
    timestamp: '2023-11-07T05:32:10Z',
  },
};

const MESSAGE = {
  uuid: '45c48cce-2e2d-4fbd-a9e5-a0a5b4c5f7d1',
  conversation_uuid: CONVERSATION.uuid,
  session_uuid: CONVERSATION.session_uuids[0],
  sender: 'Contact',
  message_type: 'text',
  content: 'Hello, are you open on Friday?',
  created_at: '2023-11-07T05:33:40Z',
};

const SESSION = {
  uuid: CONVERSATION.session_uuids[0],
  started_at: '2023-11-07T05:31:56Z',
  ended_at: '2023-11-07T05:34:02Z',
  last_activity_at: '2023-11-07T05:34:02Z',
  summary: 'Opening hours; visit booked',
  created_at: '2023-11-07T05:31:56Z',
  updated_at: '2023-11-07T05:34:02Z',
  conversation_uuid: CONVERSATION.uuid,
  agent_uuid: CONVERSATION.agent_uuid,
  contact: CONVERSATION.contact,
  call_uuid: CONVERSATION.call.uuid,
  campaign_uuid: CONVERSATION.campaign_uuid,
  listing_uuid: CONVERSATION.listing_uuid,
  task_uuids: CONVERSATION.task_uuids,
};

const page = (items: unknown[]) => ({ current_page: 1, data: items, per_page: 15, total: 1, last_page: 1 });

/** The examples of one operation: its request body and its success responses, by status. */
export interface OperationExamples {
  body?: unknown;
  responses?: Record<number, unknown>;
}

export const OPERATION_EXAMPLES: Record<string, OperationExamples> = {
  'GET /api/v1/conversations': {
    responses: { 200: { success: true, message: 'Conversations retrieved successfully', data: page([CONVERSATION]) } },
  },
  'GET /api/v1/conversations/:uuid': {
    responses: { 200: { success: true, message: 'Conversation retrieved successfully', data: CONVERSATION } },
  },
  'PUT /api/v1/conversations/:uuid': {
    body: {
      channel: 'Whatsapp',
      contact: { uuid: CONVERSATION.contact.uuid, name: 'Ayşe', phone_number: '+90 (532) 123-4567' },
      agent_uuid: CONVERSATION.agent_uuid,
    },
    responses: {
      200: { success: true, message: 'Conversation updated successfully', data: CONVERSATION },
      201: { success: true, message: 'Conversation created successfully', data: CONVERSATION },
    },
  },
  'PATCH /api/v1/conversations/:uuid': {
    body: { status: 'Closed' },
    responses: { 200: { success: true, message: 'Conversation updated successfully', data: { ...CONVERSATION, status: 'Closed' } } },
  },
  'GET /api/v1/conversations/:uuid/messages': {
    responses: { 200: { success: true, message: 'Conversation messages retrieved successfully', data: page([MESSAGE]) } },
  },
  'POST /api/v1/conversations/:uuid/messages': {
    body: { uuid: MESSAGE.uuid, sender: 'Contact', message_type: 'text', content: MESSAGE.content },
    responses: {
      200: { success: true, message: 'Message already exists', data: MESSAGE },
      201: { success: true, message: 'Message created successfully', data: MESSAGE },
    },
  },
  'GET /api/v1/conversations/:uuid/sessions': {
    responses: { 200: { success: true, message: 'Conversation sessions retrieved successfully', data: page([SESSION]) } },
  },
  'GET /api/v1/analytics/messages': {
    responses: {
      200: {
        meta: {
          from: '2023-11-01T00:00:00Z',
          to: '2023-12-01T00:00:00Z',
          channel: 'Whatsapp',
          agent_uuid: null,
          campaign_uuid: null,
          generated_at: '2023-12-01T08:00:00Z',
        },
        messages: [
          {
            message_uuid: MESSAGE.uuid,
            conversation_uuid: CONVERSATION.uuid,
            session_uuid: MESSAGE.session_uuid,
            contact_uuid: CONVERSATION.contact.uuid,
            agent_uuid: CONVERSATION.agent_uuid,
            channel: 'whatsapp',
            channel_label: 'Whatsapp',
            direction: 'inbound',
            sender: 'Contact',
            message_type: 'text',
            content: MESSAGE.content,
            created_at: MESSAGE.created_at,
          },
        ],
        pagination: { next_cursor: 'bToxMjM0', has_more: false, limit: 500 },
      },
    },
  },
};

/** One example envelope per error status, as the error handler writes them. */
export const ERROR_EXAMPLES: Record<number, { success: false; message: string; error: { code: string; details: string; field?: string } }> =
  {
    400: {
      success: false,
      message: 'Malformed JSON body',
      error: { code: 'BAD_REQUEST', details: 'The request body is not valid JSON' },
    },
    401: {
      success: false,
      message: 'Authentication token is missing',
      error: { code: 'MISSING_AUTH_TOKEN', details: 'Send the header Authorization: Bearer <token>' },
    },
    404: { success: false, message: 'Conversation not found', error: { code: 'NOT_FOUND', details: 'Conversation not found' } },
    409: {
      success: false,
      message: 'The request conflicts with stored data',
      error: { code: 'CONFLICT', details: 'Call 1679091c-5a88-4faf-afb5-e6087eb1b2dc belongs to another conversation', field: 'call.uuid' },
    },
    413: {
      success: false,
      message: 'Request body is too large',
      error: { code: 'PAYLOAD_TOO_LARGE', details: 'The request body exceeds the size limit' },
    },
    422: {
      success: false,
      message: 'The given data was invalid',
      error: { code: 'VALIDATION_ERROR', details: 'per_page must be <= 100', field: 'per_page' },
    },
    429: {
      success: false,
      message: 'Too many requests',
      error: { code: 'RATE_LIMITED', details: 'Retry after the number of seconds in the Retry-After header' },
    },
    500: {
      success: false,
      message: 'Internal server error',
      error: { code: 'INTERNAL_ERROR', details: 'Something went wrong; quote request id req-1f when reporting it' },
    },
    503: {
      success: false,
      message: 'Service temporarily unavailable',
      error: { code: 'SERVICE_UNAVAILABLE', details: 'The database cannot be reached; try again shortly' },
    },
  };
