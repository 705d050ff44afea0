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
