import { validationError } from '../http/errors.js';
import { fromIso } from '../shared/time.js';
import { hasDigit, normalisePhone } from './phone.js';
import type { ConversationFilters } from './repository.js';
import type { ListQuery } from './schemas.js';

/** The list's filter parameters, already checked by its schema (enumerations in their canonical spelling). */
export type FilterParameters = Pick<
  ListQuery,
  | 'phone'
  | 'contact_uuid'
  | 'agent_uuid'
  | 'campaign_uuid'
  | 'task_uuid'
  | 'channel'
  | 'status'
  | 'created_from'
  | 'created_to'
  | 'updated_since'
>;

const list = (value: string | undefined) => value?.split(',');
const time = (value: string | undefined) => (value === undefined ? undefined : fromIso(value));
/** Stored times are whole seconds: a lower bound with a fraction (10:00:00.5) first admits 10:00:01. */
const timeFrom = (value: string | undefined) =>
  value === undefined ? undefined : fromIso(value) + (/:\d\d\.\d*[1-9]/.test(value) ? 1 : 0);

/** The list's filter parameters as the repository reads them: uuids in lower case, the phone normalised. */
export function filtersOf(query: FilterParameters): ConversationFilters {
  let phone: string | undefined;
  if (query.phone !== undefined) {
    phone = normalisePhone(query.phone);
    if (!hasDigit(phone)) throw validationError('phone', 'phone must contain at least one digit');
  }
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
