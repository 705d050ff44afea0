import type { Channel, ConversationListQuery, ConversationStatus } from '@parley/client';

export const CHANNELS: readonly Channel[] = ['Whatsapp', 'SMS', 'Call', 'Messenger', 'Instagram', 'Email', 'Webchat'];
export const STATUSES: readonly ConversationStatus[] = ['Active', 'Closed'];
export const PAGE_SIZES = [15, 25, 50, 100] as const;
export type SortBy = 'created_at' | 'updated_at';
export type SortDir = 'asc' | 'desc';

/** The uuid filters, by their query parameter names, which the URL and the API share. */
export const UUID_FILTERS = ['agent_uuid', 'campaign_uuid', 'contact_uuid', 'task_uuid'] as const;
export type UuidFilter = (typeof UUID_FILTERS)[number];
/** Dates (`YYYY-MM-DD`, UTC days) in the URL; date-times in the API. */
export const DATE_FILTERS = ['created_from', 'created_to', 'updated_since'] as const;
export type DateFilter = (typeof DATE_FILTERS)[number];

/** Everything the list shows, as the URL's query string holds it. Empty strings are "no filter". */
export interface ListView extends Record<UuidFilter | DateFilter, string> {
  phone: string;
  channels: Channel[];
  status: ConversationStatus | '';
  sortBy: SortBy;
  sortDir: SortDir;
  page: number;
  perPage: number;
}

export const DEFAULT_VIEW: ListView = {
  phone: '',
  channels: [],
  status: '',
  agent_uuid: '',
  campaign_uuid: '',
  contact_uuid: '',
  task_uuid: '',
  created_from: '',
  created_to: '',
  updated_since: '',
  sortBy: 'created_at',
  sortDir: 'desc',
  page: 1,
  perPage: 15,
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export const isUuid = (value: string) => UUID.test(value);
/** The API refuses a phone fragment without a digit; the list then waits for one. */
export const isPhoneQuery = (value: string) => /\d/.test(value) && value.length <= 32;

const oneOf = <T extends string>(values: readonly T[], value: string | null): T | undefined =>
  values.find((candidate) => candidate.toLowerCase() === value?.toLowerCase());

/**
 * The view a query string asks for. Lenient, since people edit and paste URLs: a value the API
 * would refuse is dropped rather than shown as an error.
 */
export function parseView(search: URLSearchParams): ListView {
  const get = (name: string) => search.get(name) ?? '';
  const page = Number(get('page'));
  const perPage = Number(get('per_page'));
  const view: ListView = {
    ...DEFAULT_VIEW,
    phone: isPhoneQuery(get('phone')) ? get('phone') : '',
    channels: CHANNELS.filter((channel) =>
      get('channel')
        .split(',')
        .some((value) => value.toLowerCase() === channel.toLowerCase()),
    ),
    status: oneOf(STATUSES, search.get('status')) ?? '',
    sortBy: oneOf(['created_at', 'updated_at'] as const, search.get('sort_by')) ?? DEFAULT_VIEW.sortBy,
    sortDir: oneOf(['asc', 'desc'] as const, search.get('sort_dir')) ?? DEFAULT_VIEW.sortDir,
    page: Number.isInteger(page) && page >= 1 ? page : 1,
    perPage: (PAGE_SIZES as readonly number[]).includes(perPage) ? perPage : DEFAULT_VIEW.perPage,
  };
  for (const name of UUID_FILTERS) view[name] = isUuid(get(name)) ? get(name).toLowerCase() : '';
  for (const name of DATE_FILTERS) view[name] = DATE.test(get(name)) && !Number.isNaN(Date.parse(get(name))) ? get(name) : '';
  return view;
}

/** The query string of a view, defaults left out, so that a shared link is short and reads like the filters it applies. */
export function viewSearch(view: ListView): string {
  const search = new URLSearchParams();
  if (view.phone) search.set('phone', view.phone);
  if (view.channels.length > 0) search.set('channel', view.channels.join(','));
  if (view.status) search.set('status', view.status);
  for (const name of [...UUID_FILTERS, ...DATE_FILTERS]) if (view[name]) search.set(name, view[name]);
  if (view.sortBy !== DEFAULT_VIEW.sortBy) search.set('sort_by', view.sortBy);
  if (view.sortDir !== DEFAULT_VIEW.sortDir) search.set('sort_dir', view.sortDir);
  if (view.page !== 1) search.set('page', String(view.page));
  if (view.perPage !== DEFAULT_VIEW.perPage) search.set('per_page', String(view.perPage));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** The API query for a view. Dates are whole UTC days, both ends included. */
export function viewQuery(view: ListView): ConversationListQuery {
  return {
    page: view.page,
    per_page: view.perPage,
    sort_by: view.sortBy,
    sort_dir: view.sortDir,
    phone: view.phone || undefined,
    channel: view.channels.length > 0 ? view.channels : undefined,
    status: view.status || undefined,
    agent_uuid: view.agent_uuid || undefined,
    campaign_uuid: view.campaign_uuid || undefined,
    contact_uuid: view.contact_uuid || undefined,
    task_uuid: view.task_uuid || undefined,
    created_from: view.created_from ? `${view.created_from}T00:00:00Z` : undefined,
    created_to: view.created_to ? `${view.created_to}T23:59:59Z` : undefined,
    updated_since: view.updated_since ? `${view.updated_since}T00:00:00Z` : undefined,
  };
}

/** How many filters narrow the list (sorting and paging aside). */
export function activeFilters(view: ListView): number {
  return (
    [view.phone, view.status, ...UUID_FILTERS.map((name) => view[name]), ...DATE_FILTERS.map((name) => view[name])].filter(Boolean).length +
    (view.channels.length > 0 ? 1 : 0)
  );
}

/** The same view with `changes`; any change but the page's goes back to page 1, whose rows it changes. */
export function withChanges(view: ListView, changes: Partial<ListView>): ListView {
  return { ...view, page: 1, ...changes };
}

/** The view without its filters, keeping how it is sorted and paged. */
export const withoutFilters = (view: ListView): ListView => ({
  ...DEFAULT_VIEW,
  sortBy: view.sortBy,
  sortDir: view.sortDir,
  perPage: view.perPage,
});

export const listHref = (view: ListView) => `/${viewSearch(view)}`;
export const conversationHref = (uuid: string, view: ListView) => `/conversations/${encodeURIComponent(uuid)}${viewSearch(view)}`;
