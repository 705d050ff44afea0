import { Type } from 'typebox';
import { filtersOf } from '../conversations/filters.js';
import type { ConversationFilters } from '../conversations/repository.js';
import { ListQuery } from '../conversations/schemas.js';
import { describe } from '../http/error-handler.js';
import { AppError } from '../http/errors.js';
import { normaliseParameters } from '../http/query-hooks.js';
import { compileJsonValidator } from '../http/validation.js';

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

/**
 * The list's filter parameters, checked by the list's own schema and read by the list's own
 * reader (`filtersOf`), enumerations in any case. A bad value is a FilterError naming the option.
 */
export function filtersFromQuery(given: FilterQuery): ConversationFilters {
  const query = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)) as FilterQuery;
  try {
    normaliseParameters(schema, query);
    validate ??= compileJsonValidator(schema);
    if (!validate(query)) {
      const error = validate.errors![0]!;
      const parameter = error.instancePath.split('/')[1] ?? '';
      throw new FilterError(describe(error, optionOf(parameter), 'filters'));
    }
    return filtersOf(query);
  } catch (error) {
    if (!(error instanceof AppError) || !error.field) throw error;
    throw new FilterError(error.details.replace(error.field, optionOf(error.field)));
  }
}
