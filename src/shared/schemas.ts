import { type Static, type TSchema, Type } from 'typebox';

export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

export const Uuid = Type.String({ format: 'uuid', pattern: UUID_PATTERN, examples: ['3c90c3cc-0d44-4b50-8888-8dd25736052a'] });

/** UTC, whole seconds, `Z`: the contract's one time format. Inputs may carry any offset and fraction. */
export const DateTime = Type.String({ format: 'date-time', examples: ['2023-11-07T05:31:56Z'] });

/**
 * `T | null` as a JSON-schema type list rather than `anyOf`: validates the same and lets
 * fast-json-stringify serialise it without trying each branch.
 */
export function Nullable<T extends TSchema>(schema: T) {
  const base = schema as unknown as { type?: string; enum?: unknown[] };
  const extra = base.enum ? { enum: [...base.enum, null] } : {};
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [base.type, 'null'], ...extra });
}

/** An enumeration of strings; with `caseInsensitive`, the request hook rewrites any casing to the canonical one first. */
export function StringEnum<const V extends readonly string[]>(
  values: V,
  options: { caseInsensitive?: boolean; description?: string } = {},
) {
  const { caseInsensitive, ...rest } = options;
  return Type.Unsafe<V[number]>({
    type: 'string',
    enum: [...values],
    ...rest,
    ...(caseInsensitive ? { 'x-case-insensitive': true } : {}),
  });
}

const UUID_BODY = UUID_PATTERN.slice(1, -1);
export const UUID_LIST_PATTERN = `^${UUID_BODY}(,${UUID_BODY})*$`;
const MAX_LIST_VALUES = 100;

/** One or more uuids, comma-separated: `a,b` means a or b. */
export function UuidList(description: string) {
  return Type.Unsafe<string>({ type: 'string', pattern: UUID_LIST_PATTERN, maxLength: MAX_LIST_VALUES * 37, description });
}

/**
 * One or more values of an enumeration, comma-separated and in any case: the request hook
 * rewrites each to its canonical spelling (and names the field if one is unknown) before the
 * pattern checks them.
 */
export function EnumList<const V extends readonly string[]>(values: V, description: string) {
  const alternatives = values.map((value) => value.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')).join('|');
  return Type.Unsafe<string>({
    type: 'string',
    pattern: `^(${alternatives})(,(${alternatives}))*$`,
    description: `${description}. One or more of ${values.join(', ')}, comma-separated, in any case`,
    'x-case-insensitive': true,
    'x-values': [...values],
  });
}

export const ErrorEnvelope = Type.Object({
  success: Type.Literal(false),
  message: Type.String(),
  error: Type.Object({
    code: Type.String(),
    details: Type.String(),
    field: Type.Optional(Type.String()),
  }),
});
export type ErrorEnvelope = Static<typeof ErrorEnvelope>;

export const MAX_PAGE = 2_147_483_647;
export const MAX_PER_PAGE = 100;

/** `page` and `per_page` as every paginated list takes them. */
export function pageParameters(defaultPerPage: number) {
  return {
    page: Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 1, description: 'Page number; a page past the end is empty' }),
    per_page: Type.Integer({ minimum: 1, maximum: MAX_PER_PAGE, default: defaultPerPage, description: 'Items per page' }),
  };
}

/** The paginated envelope of the conversations list, shared by every list of the family. */
export function Paginated<T extends TSchema>(item: T) {
  return Type.Object({
    success: Type.Boolean(),
    message: Type.String(),
    data: Type.Object({
      current_page: Type.Integer(),
      data: Type.Array(item),
      per_page: Type.Integer(),
      total: Type.Integer(),
      last_page: Type.Integer(),
    }),
  });
}

/** A success envelope around one object. */
export function Envelope<T extends TSchema>(data: T) {
  return Type.Object({ success: Type.Boolean(), message: Type.String(), data });
}

/** `data` of a paginated envelope: `last_page` is never below 1, even for an empty result. */
export const lastPageOf = (total: number, perPage: number) => Math.max(1, Math.ceil(total / perPage));

export function pageOf<T>(items: T[], total: number, page: number, perPage: number) {
  return { current_page: page, data: items, per_page: perPage, total, last_page: lastPageOf(total, perPage) };
}

/** The error statuses a route under /api/v1 can answer with, all in the one envelope. */
export const errorResponses = {
  400: ErrorEnvelope,
  401: ErrorEnvelope,
  404: ErrorEnvelope,
  409: ErrorEnvelope,
  413: ErrorEnvelope,
  422: ErrorEnvelope,
  503: ErrorEnvelope,
};
