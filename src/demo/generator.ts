import type { Conversation, ConversationInput } from '../conversations/schemas.js';
import { toIso } from '../shared/time.js';

/**
 * Realistic conversations for the demo workspace and for seeding large databases: the same seed,
 * count and reference time always give the same bodies, uuids included. Everything costly (name
 * pools, slugs, weight tables) is prepared once, so that an item costs a few dozen random draws.
 */

export interface GeneratedConversation {
  uuid: string;
  body: ConversationInput;
  /** Only with the `messages` option: the transcript, oldest first. */
  messages?: GeneratedMessage[];
}

export interface GeneratedMessage {
  uuid: string;
  session_uuid: string | null;
  sender: 'AI' | 'Human' | 'Contact';
  message_type: string | null;
  content: string;
  created_at: string;
}

export interface GeneratorOptions {
  count: number;
  seed: number;
  /** Conversations are spread over the 90 days before this moment. */
  now: Date;
  /** Give each conversation a few messages too. They come from a stream of their own: the conversations are the same either way. */
  messages?: boolean;
}

type Call = NonNullable<Conversation['call']>;
type Contact = Conversation['contact'];

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
const hex32 = (word: number) => HEX[word >>> 24]! + HEX[(word >>> 16) & 255]! + HEX[(word >>> 8) & 255]! + HEX[word & 255]!;

/**
 * sfc32. Its 128-bit state is the point: uuids drawn from a 32-bit generator such as mulberry32
 * start repeating after about 2^16 of them, far short of a million-row seed.
 */
class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(a: number, b: number, c: number, d: number) {
    this.a = a | 0;
    this.b = b | 0;
    this.c = c | 0;
    this.d = d | 0;
    // The first outputs of nearby states are alike; a few rounds spread them.
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (((this.c << 21) | (this.c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  float(): number {
    return this.next() / 4294967296;
  }

  int(below: number): number {
    return Math.floor(this.float() * below);
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** An index below `n` where low ones are far likelier: the larger `power`, the heavier the head. */
  skewed(n: number, power: number): number {
    return Math.floor(n * this.float() ** power);
  }

  /** Version-4 shaped: the version nibble and the variant bits are set, the other 122 bits drawn. */
  uuid(): string {
    const a = hex32(this.next());
    const b = hex32((this.next() & 0xffff0fff) | 0x4000);
    const c = hex32(((this.next() & 0x3fffffff) | 0x80000000) >>> 0);
    return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${hex32(this.next())}`;
  }
}

class Weighted<T> {
  private readonly values: T[];
  private readonly bounds: number[];

  constructor(entries: [T, number][]) {
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
    let running = 0;
    this.values = entries.map(([value]) => value);
    this.bounds = entries.map(([, weight]) => (running += weight / total));
  }

  pick(random: Random): T {
    const x = random.float();
    let i = 0;
    while (i < this.bounds.length - 1 && x >= this.bounds[i]!) i++;
    return this.values[i]!;
  }
}

interface Name {
  text: string;
  /** ASCII, lower case: the name as it appears in an email address. */
  slug: string;
}

interface Culture {
  given: Name[];
  surnames: Name[];
  /** `#` stands for a random digit; fixed digits keep prefixes real (and US/UK numbers in their fictional ranges). */
  phones: string[];
  domains: string[];
}

const LETTERS_WITHOUT_DECOMPOSITION: Record<string, string> = { ı: 'i', ß: 'ss', ø: 'o', æ: 'ae', ł: 'l' };

function slugOf(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, (char) => LETTERS_WITHOUT_DECOMPOSITION[char] ?? '');
}

/** `Ayşe Müller_Lüdenscheidt 佐藤:sato`: `_` joins words of one name, `:` gives the slug of a name in another script. */
function names(list: string): Name[] {
  return list.split(' ').map((entry) => {
    const [written, slug] = entry.split(':');
    const text = written!.replaceAll('_', ' ');
    return { text, slug: slug ?? slugOf(text) };
  });
}

const ENGLISH_GIVEN = names(
  'James Olivia William Emily Oliver Charlotte Jack Sophie Harry Grace Michael Sarah David Jessica Daniel Emma Thomas Chloe Zoë',
);
const ENGLISH_SURNAMES = names(
  "Smith Johnson Williams Brown Taylor Davies Wilson Evans Thomas O'Brien Roberts Walker Wright Thompson Clarke Hughes Murphy Cooper",
);
const SPANISH_GIVEN = names(
  'José María Carmen Javier Lucía Alejandro Sofía Pablo Marta Andrés Valentina Diego Paula Sergio Isabel Raúl Ana Álvaro Nuria Íñigo María_José',
);
const SPANISH_SURNAMES = names(
  'García Fernández González Rodríguez López Martínez Sánchez Pérez Gómez Martín Jiménez Ruiz Hernández Díaz Moreno Muñoz Álvarez Romero Núñez García_López',
);
const ARABIC_PHONES = [
  '+966 5# ### ####',
  '+971 5# ### ####',
  '+20 1## ### ####',
  '00971 5# #######',
  '+9665########',
  '+212 6## ## ## ##',
];
const ARABIC_DOMAINS = ['gmail.com', 'hotmail.com', 'outlook.sa', 'yahoo.com'];
const JAPANESE_PHONES = ['+81 90-####-####', '090-####-####', '+81 3 #### ####', '+81.80.####.####', '+8170########', '080 #### ####'];
const JAPANESE_DOMAINS = ['gmail.com', 'yahoo.co.jp', 'docomo.ne.jp', 'icloud.com', 'ezweb.ne.jp'];

const CULTURES = new Weighted<Culture>([
  [
    {
      given: names('Ayşe Mehmet Zeynep Mustafa Elif Emre Fatma Burak Özge Can Şule Oğuz Gülşen Çağrı İbrahim Selin Hakan Merve Yusuf Ebru'),
      surnames: names('Yılmaz Kaya Demir Şahin Çelik Yıldız Öztürk Aydın Arslan Doğan Kılıç Aslan Çetin Koç Kurt Özdemir Erdoğan Güneş'),
      phones: ['+90 (53#) ###-####', '+90 5## ### ## ##', '05## ### ## ##', '+905#########', '0090 5## ### ####', '+90 212 ### ## ##'],
      domains: ['gmail.com', 'hotmail.com', 'yandex.com.tr', 'outlook.com'],
    },
    16,
  ],
  [
    {
      given: ENGLISH_GIVEN,
      surnames: ENGLISH_SURNAMES,
      phones: ['+44 20 7946 0###', '+44 7700 900###', '07700 900###', '+447700900###', '0044 20 7946 0###'],
      domains: ['gmail.com', 'outlook.com', 'yahoo.co.uk', 'btinternet.com', 'icloud.com'],
    },
    9,
  ],
  [
    {
      given: ENGLISH_GIVEN,
      surnames: ENGLISH_SURNAMES,
      phones: ['+1-415-555-01##', '(212) 555-01##', '+1 312.555.01##', '+1 (646) 555-01##', '+120655501##', '617-555-01##'],
      domains: ['gmail.com', 'yahoo.com', 'icloud.com', 'outlook.com', 'aol.com'],
    },
    10,
  ],
  [
    {
      given: SPANISH_GIVEN,
      surnames: SPANISH_SURNAMES,
      phones: ['+34 6## ## ## ##', '+34 6## ### ###', '6## ### ###', '+346########', '0034 6## ## ## ##', '+34 91 ### ## ##'],
      domains: ['gmail.com', 'hotmail.es', 'yahoo.es', 'telefonica.net', 'outlook.es'],
    },
    8,
  ],
  [
    {
      given: SPANISH_GIVEN,
      surnames: SPANISH_SURNAMES,
      phones: ['+52 55 #### ####', '+52 (55) ####-####', '+52 1 33 #### ####', '+5281########'],
      domains: ['gmail.com', 'hotmail.com', 'prodigy.net.mx', 'outlook.com'],
    },
    4,
  ],
  [
    {
      given: names(
        'Lukas Anna Jonas Lea Maximilian Hannah Felix Sophie Paul Marie Jürgen Ursula Jörg Käthe Niklas Laura Tobias Julia Björn Lena',
      ),
      surnames: names(
        'Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer Richter Klein Wolf Schröder Neumann Groß',
      ),
      phones: [
        '0049 30 #######',
        '+49 30 #######',
        '+49 (0)30 ########',
        '030 #######',
        '+49 15# ########',
        '+49 171 #######',
        '+49.89.#######',
      ],
      domains: ['web.de', 'gmx.de', 't-online.de', 'gmail.com', 'posteo.de'],
    },
    9,
  ],
  [
    {
      given: names('Mohammed Fatima Ahmed Aisha Omar Layla Youssef Mariam Khalid Noor Hassan Salma Ali Huda Tariq Amira Karim Zainab'),
      surnames: names('Al-Sayed Haddad Al-Farsi Nasser Khoury Al-Rashid Saleh Mansour Hamdan Aziz Farouk Al-Amin Darwish Ibrahim'),
      phones: ARABIC_PHONES,
      domains: ARABIC_DOMAINS,
    },
    8,
  ],
  [
    {
      given: names('محمد:mohammed فاطمة:fatima أحمد:ahmed ليلى:layla عمر:omar مريم:mariam'),
      surnames: names('العلي:alali الحداد:alhaddad منصور:mansour الخوري:khoury'),
      phones: ARABIC_PHONES,
      domains: ARABIC_DOMAINS,
    },
    2,
  ],
  [
    {
      given: names(
        'Aarav Priya Rohan Ananya Vikram Kavya Arjun Diya Rahul Sneha Aditya Pooja Sanjay Neha Ishaan Lakshmi प्रिया:priya राहुल:rahul',
      ),
      surnames: names('Sharma Patel Singh Kumar Gupta Reddy Iyer Nair Mehta Joshi Verma Rao Chopra Desai Malhotra Banerjee'),
      phones: ['+91 9#### #####', '+91-9####-#####', '09#### #####', '+919#########', '+91 80 #### ####', '+91 (22) ####-####'],
      domains: ['gmail.com', 'yahoo.co.in', 'rediffmail.com', 'outlook.com'],
    },
    9,
  ],
  [
    {
      given: names('Haruto Yui Sōta Hina Ren Aoi Yūto Sakura Kenji Yuki Takumi Mei Kōji'),
      surnames: names('Satō Suzuki Takahashi Tanaka Watanabe Itō Yamamoto Nakamura Kobayashi Katō Kōno'),
      phones: JAPANESE_PHONES,
      domains: JAPANESE_DOMAINS,
    },
    4,
  ],
  [
    {
      given: names('陽翔:haruto 結衣:yui 健二:kenji さくら:sakura 蓮:ren 美咲:misaki'),
      surnames: names('佐藤:sato 鈴木:suzuki 高橋:takahashi 田中:tanaka 山本:yamamoto'),
      phones: JAPANESE_PHONES,
      domains: JAPANESE_DOMAINS,
    },
    2,
  ],
  [
    {
      given: names('João Ana Pedro Beatriz Lucas Mariana Gabriel Júlia Rafael Larissa Thiago Camila Felipe Letícia'),
      surnames: names('Silva Santos Oliveira Souza Rodrigues Ferreira Alves Pereira Lima Gomes Costa Ribeiro Carvalho Araújo Conceição'),
      phones: ['+55 11 9####-####', '+55 (21) 9####-####', '(11) 9####-####', '+55119########', '0055 31 9#### ####'],
      domains: ['gmail.com', 'hotmail.com', 'uol.com.br', 'bol.com.br', 'yahoo.com.br'],
    },
    5,
  ],
  [
    {
      given: names('Camille Louis Chloé Hugo Léa Théo Manon Mathis Inès Noé Zoé Gaël Hélène François'),
      surnames: names('Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Lefèvre Girard Bonnet Rousseau Mercier'),
      phones: ['+33 6 ## ## ## ##', '06 ## ## ## ##', '+33 (0)1 ## ## ## ##', '+336########', '06.##.##.##.##', '0033 7 ## ## ## ##'],
      domains: ['gmail.com', 'orange.fr', 'free.fr', 'laposte.net', 'sfr.fr'],
    },
    5,
  ],
]);

const CHANNELS = new Weighted<Conversation['channel']>([
  ['Whatsapp', 35],
  ['Call', 20],
  ['SMS', 12],
  ['Webchat', 12],
  ['Email', 8],
  ['Messenger', 7],
  ['Instagram', 6],
]);
/** With Call at 20 % of conversations, this makes about 40 % of all conversations have a call. */
const CALL_ON_OTHER_CHANNELS = 0.25;

const RESPONDERS = new Weighted<Conversation['responded_by']>([
  ['AI', 70],
  ['Human', 26],
  [null, 4],
]);

const FINISHED_CALLS = new Weighted<Call['status']>([
  ['completed', 72],
  ['no-answer', 11],
  ['busy', 6],
  ['failed', 5],
  ['canceled', 6],
]);
const LIVE_CALLS = new Weighted<Call['status']>([
  ['in-progress', 60],
  ['ringing', 20],
  ['queued', 20],
]);
/** Only a call placed this recently can still be queued, ringing or in progress. */
const LIVE_WINDOW = 2 * 3600;

const EXTRA_SESSIONS = new Weighted([
  [0, 65],
  [1, 25],
  [2, 10],
]);
const TASKS_PER_CALL = new Weighted([
  [0, 50],
  [1, 35],
  [2, 15],
]);

const SUMMARIES = [
  'Customer asked about delivery times; confirmed the order ships on Friday.',
  'Caller wanted to reschedule the appointment to next Tuesday morning.',
  'Lead interested in the premium plan; sent pricing by email.',
  'Complaint about a double charge; refund request opened.',
  'Asked for opening hours and parking information.',
  'Confirmed the viewing of the flat for Saturday at 11:00.',
  'Customer could not log in; password reset link sent.',
  'Follow-up on last week’s quote; customer needs approval from their manager.',
  'Booked a table for four, window seat requested.',
  'Wrong number; contact asked not to be called again.',
  'Renewal reminder; customer will renew online this week.',
  'Technical question about the API rate limits, escalated to support.',
  'Caller asked whether the product is available in another colour.',
  'Survey completed; overall satisfaction 4 of 5.',
  'Cliente preguntó por el estado de su pedido; se envió el número de seguimiento.',
  'Müşteri faturasındaki ek ücreti sordu; açıklama yapıldı.',
];

const DAY = 86_400;
const SPAN = 90 * DAY;

function fillDigits(random: Random, template: string): string {
  let out = '';
  for (const char of template) out += char === '#' ? String(random.int(10)) : char;
  return out;
}

function emailOf(random: Random, given: Name, surname: Name | null, domain: string): string {
  if (!surname) return `${given.slug}${10 + random.int(90)}@${domain}`;
  switch (random.int(5)) {
    case 0:
      return `${given.slug}.${surname.slug}@${domain}`;
    case 1:
      return `${given.slug}${surname.slug}${10 + random.int(90)}@${domain}`;
    case 2:
      return `${given.slug[0]}${surname.slug}@${domain}`;
    case 3:
      return `${given.slug}_${surname.slug}${1960 + random.int(46)}@${domain}`;
    default:
      return `${surname.slug}.${given.slug}@${domain}`;
  }
}

/** Streams are told apart by their last word, so no two ever start from the same state. */
const STREAM = { pools: 0x243f6a88, conversations: 0x7f4a7c15, contacts: 0x3c6ef372, messages: 0x1b873593 } as const;

const streamOf = (seed: number, index: number, kind: number) => new Random(seed, Math.floor(seed / 2 ** 32), index, kind);

/**
 * Contact `index` of the seed, computed afresh each time it is drawn: a million-row seed then
 * needs no table of hundreds of thousands of contacts, and a contact reads the same in every conversation.
 */
function contactAt(seed: number, index: number): Contact {
  const random = streamOf(seed, index, STREAM.contacts);
  const culture = CULTURES.pick(random);
  const given = random.pick(culture.given);
  const surname = random.chance(0.04) ? null : random.pick(culture.surnames);
  const uuid = random.uuid();
  const phone = fillDigits(random, random.pick(culture.phones));
  return {
    uuid,
    name: given.text,
    surname: surname?.text ?? null,
    phone_number: phone,
    email: random.chance(0.85) ? emailOf(random, given, surname, random.pick(culture.domains)) : null,
  };
}

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

/** Agents, campaigns and listings: few agents and campaigns own most conversations, as on a real platform. */
function poolsFor(seed: number, count: number) {
  const random = streamOf(seed, 0, STREAM.pools);
  const uuids = (size: number) => Array.from({ length: size }, () => random.uuid());
  return {
    agents: uuids(clamp(Math.round(count ** 0.4), 3, 60)),
    campaigns: uuids(clamp(Math.round(count ** 0.35), 2, 200)),
    listings: uuids(clamp(Math.round(count / 25), 3, 20_000)),
    contacts: Math.max(1, Math.round(count / 3.5)),
  };
}

type Pools = ReturnType<typeof poolsFor>;

interface CallContext {
  channel: Conversation['channel'];
  createdAt: number;
  activity: number;
  end: number;
  active: boolean;
}

function callFor(random: Random, pools: Pools, { channel, createdAt, activity, end, active }: CallContext) {
  const uuid = random.uuid();
  const direction = random.chance(0.55) ? 'Outbound' : 'Inbound';
  const placedAt = Math.min(end, createdAt + (channel === 'Call' ? random.int(30) : Math.floor(random.float() * activity)));
  const live = active && end - placedAt < LIVE_WINDOW && random.chance(0.5);
  const status = live ? LIVE_CALLS.pick(random) : FINISHED_CALLS.pick(random);
  const connected = status === 'completed' || status === 'in-progress';
  const call: Call = {
    uuid,
    direction,
    status,
    // A call still going on has no duration yet; one that never connected lasted 0 seconds.
    duration: status === 'completed' ? 15 + Math.floor(900 * random.float() ** 2) : live ? null : 0,
    recording_url: status === 'completed' && random.chance(0.9) ? `https://recordings.example.com/calls/${uuid}.mp3` : null,
    handled_by: connected ? (random.chance(0.7) ? 'AI' : 'Human') : null,
    summary: status === 'completed' ? random.pick(SUMMARIES) : null,
    timestamp: toIso(placedAt),
  };
  const campaign = random.chance(direction === 'Outbound' ? 0.95 : 0.55)
    ? pools.campaigns[random.skewed(pools.campaigns.length, 2)]!
    : null;
  const tasks = Array.from({ length: TASKS_PER_CALL.pick(random) }, () => random.uuid());
  return { call, campaign, tasks, endsAt: placedAt + (call.duration ?? 0) };
}

function conversationAt(random: Random, seed: number, pools: Pools, createdAt: number, end: number): ConversationInput {
  const age = (end - createdAt) / SPAN;
  const contact = contactAt(seed, random.skewed(pools.contacts, 1.3));
  const picked = CHANNELS.pick(random);
  const channel = picked === 'Email' && contact.email === null ? 'Webchat' : picked;
  const type = random.chance(0.07) ? 'Simulation' : 'Real';
  // Older conversations have had more time to be closed.
  const status = random.chance(0.05 + 0.45 * age) ? 'Closed' : 'Active';
  // Most conversations are over in minutes; a few go on for a day or two.
  const activity = 30 + Math.floor(2 * DAY * random.float() ** 4);
  const withCall =
    channel === 'Call' || random.chance(CALL_ON_OTHER_CHANNELS)
      ? callFor(random, pools, { channel, createdAt, activity, end, active: status === 'Active' })
      : null;
  const lastActivity = Math.min(end, Math.max(createdAt + activity, withCall?.endsAt ?? 0));
  const settled = status === 'Closed' ? Math.floor(DAY * random.float() ** 3) : random.int(120);
  return {
    type,
    status,
    responded_by: RESPONDERS.pick(random),
    is_simulation: type === 'Simulation',
    timestamp: toIso(lastActivity),
    created_at: toIso(createdAt),
    updated_at: toIso(Math.min(end, lastActivity + settled)),
    agent_uuid: random.chance(0.96) ? pools.agents[random.skewed(pools.agents.length, 3)]! : null,
    channel,
    contact,
    session_uuids: Array.from({ length: 1 + EXTRA_SESSIONS.pick(random) }, () => random.uuid()),
    campaign_uuid: withCall?.campaign ?? null,
    listing_uuid: random.chance(0.6) ? pools.listings[random.skewed(pools.listings.length, 1.5)]! : null,
    task_uuids: withCall?.tasks ?? [],
    call: withCall?.call ?? null,
  };
}

const MESSAGES_PER_CONVERSATION = new Weighted([
  [1, 20],
  [2, 30],
  [3, 25],
  [4, 15],
  [5, 10],
]);

const CONTACT_LINES = [
  'Hi, I have a question about my order.',
  'Hello! Is this still available?',
  'Can I change my appointment to next week?',
  'What are your opening hours on Sunday?',
  'I was charged twice this month.',
  'Thanks, that helps a lot.',
  'Could you send me the price list?',
  'Ok, see you then 👍',
  'Hola, ¿tienen envío a domicilio?',
  'Merhaba, siparişim ne zaman gelir?',
  'Is there parking near the office?',
  'I cannot log in to my account.',
];
const AGENT_LINES = [
  'Hello! Happy to help. Could you share your order number?',
  'Yes, it is still available. Would you like to book a viewing?',
  'Of course. I have moved your appointment to Tuesday at 10:00.',
  'We are open from 10:00 to 16:00 on Sundays.',
  'I am sorry about that; I have opened a refund request for the second charge.',
  'You are welcome! Is there anything else I can do for you?',
  'I have sent the price list to your email address.',
  'There is a public car park right next to the building.',
  'I have sent you a link to reset your password.',
  '¡Claro! Enviamos a todo el país en 48 horas.',
];

/** What a message on each channel mostly is; the rest are attachments and templates. */
function messageTypeOf(random: Random, channel: Conversation['channel']): string {
  switch (channel) {
    case 'Call':
      return 'transcript';
    case 'Email':
      return 'email';
    case 'SMS':
      return 'text';
    default:
      return random.chance(0.85) ? 'text' : random.pick(['image', 'audio', 'template', 'document']);
  }
}

/** The transcript of conversation `index`: spread from its creation to its latest activity, over its sessions in order. */
function messagesAt(seed: number, index: number, body: ConversationInput): GeneratedMessage[] {
  const random = streamOf(seed, index, STREAM.messages);
  const count = MESSAGES_PER_CONVERSATION.pick(random);
  const start = Date.parse(body.created_at!) / 1000;
  const span = Date.parse(body.timestamp!) / 1000 - start;
  const sessions = body.session_uuids!;
  const agent = body.responded_by ?? 'AI';
  // An outbound call or campaign starts with the agent; anything else with the contact.
  const agentFirst = body.call?.direction === 'Outbound';
  return Array.from({ length: count }, (_, k) => {
    const fromContact = (k % 2 === 0) !== agentFirst;
    return {
      uuid: random.uuid(),
      session_uuid: sessions.length > 0 ? sessions[Math.floor((k * sessions.length) / count)]! : null,
      sender: fromContact ? 'Contact' : agent,
      message_type: messageTypeOf(random, body.channel),
      content: random.pick(fromContact ? CONTACT_LINES : AGENT_LINES),
      // The last message is the conversation's latest activity.
      created_at: toIso(start + (count === 1 ? 0 : Math.floor((span * k) / (count - 1)))),
    };
  });
}

/**
 * `count` conversations in creation order, each with the uuid to PUT it at. Creation times are
 * stratified over the 90 days before `now`, so they only ever grow and ids follow time when the
 * bodies are written in order, as on a live system.
 */
export function* generateConversations({ count, seed, now, messages }: GeneratorOptions): Generator<GeneratedConversation> {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const end = Math.floor(now.getTime() / 1000);
  const slot = SPAN / count;
  const pools = poolsFor(seed, count);
  const random = streamOf(seed, 0, STREAM.conversations);
  for (let i = 0; i < count; i++) {
    const uuid = random.uuid();
    const createdAt = end - SPAN + Math.floor((i + random.float()) * slot);
    const body = conversationAt(random, seed, pools, createdAt, end);
    yield messages ? { uuid, body, messages: messagesAt(seed, i, body) } : { uuid, body };
  }
}
