import { Type } from 'typebox';
import { hasDigit, normalisePhone } from '../conversations/phone.js';
import type { ConversationFilters } from '../conversations/repository.js';
import { ListQuery } from '../conversations/schemas.js';
import { describe } from '../http/error-handler.js';
import { compileJsonValidator } from '../http/validation.js';
import { fromIso } from '../shared/time.js';

/** The list's filter parameters, by the name of the option that gives each on the command line. */
export const FILTER_OPTIONS = {
  phone: 'phone',
  'contact-uuid': 'contact_uuid',
  'agent-uuid': 'agent_uuid',
  'campaign-uuid': 'campaign_uuid',
  'task-uuid': 'task_uuid',
  channel: 'channel',
  status: 'status',
  'created-from': 'created_from',
  'created-to': 'created_to',
  'updated-since': 'updated_since',
} as const;

type Parameter = (typeof FILTER_OPTIONS)[keyof typeof FILTER_OPTIONS];
export type FilterQuery = Partial<Record<Parameter, string>>;

export class FilterError extends Error {
  override name = 'FilterError';
}

const properties = ListQuery.properties;
const schema = Type.Object(Object.fromEntries(Object.values(FILTER_OPTIONS).map((name) => [name, properties[name]])));
let validate: ReturnType<typeof compileJsonValidator> | undefined;

const optionOf = (parameter: string) => `--${Object.entries(FILTER_OPTIONS).find(([, name]) => name === parameter)?.[0] ?? parameter}`;

/** A comma-separated list of enumeration values in any case, in their canonical spelling (as the list's query hook does). */
function canonical(parameter: Parameter, value: string): string {
  const allowed = (properties[parameter] as { 'x-values'?: string[] })['x-values']!;
  const spellings = new Map(allowed.map((spelling) => [spelling.toLowerCase(), spelling]));
  const items = value.split(',').map((item) => {
    const spelling = spellings.get(item.trim().toLowerCase());
    if (!spelling) throw new FilterError(`${optionOf(parameter)} must be one or more of ${allowed.join(', ')}, separated by commas`);
    return spelling;
  });
  return [...new Set(items)].join(',');
}

/**
 * The list's filter parameters, checked by the list's own schema and read as the list reads
 * them (uuids in lower case, the phone normalised, enumerations in any case). A bad value is a
 * FilterError naming the option.
 */
export function filtersFromQuery(given: FilterQuery): ConversationFilters {
  const query: FilterQuery = {};
  for (const [name, value] of Object.entries(given) as [Parameter, string | undefined][]) {
    if (value === undefined) continue;
    query[name] = name === 'channel' || name === 'status' ? canonical(name, value) : value;
  }
  validate ??= compileJsonValidator(schema);
  if (!validate(query)) {
    const error = validate.errors![0]!;
    const parameter = error.instancePath.split('/')[1] ?? '';
    throw new FilterError(describe(error, optionOf(parameter), 'filters'));
  }
  let phone: string | undefined;
  if (query.phone !== undefined) {
    phone = normalisePhone(query.phone);
    if (!hasDigit(phone)) throw new FilterError('--phone must contain at least one digit');
  }
  const list = (value: string | undefined) => value?.split(',');
  const time = (value: string | undefined) => (value === undefined ? undefined : fromIso(value));
  // As the list reads them (conversations/routes.ts): stored times are whole seconds, so a lower
  // bound with a fraction first admits the next second.
  const timeFrom = (value: string | undefined) =>
    value === undefined ? undefined : fromIso(value) + (/:\d\d\.\d*[1-9]/.test(value) ? 1 : 0);
  return {
    phone,
    contactUuid: query.contact_uuid?.toLowerCase(),
    agentUuids: list(query.agent_uuid?.toLowerCase()),
    campaignUuid: query.campaign_uuid?.toLowerCase(),
    taskUuid: query.task_uuid?.toLowerCase(),
    channels: list(query.channel),
    statuses: list(query.status),
    createdFrom: timeFrom(query.created_from),
    createdTo: time(query.created_to),
    updatedSince: timeFrom(query.updated_since),
  };
}
