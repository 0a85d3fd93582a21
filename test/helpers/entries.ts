/**
 * A value with its undefined-valued keys left out, as JSON would write it:
 * entries decoded from the cache carry every field (one hidden class for V8,
 * see src/core/layers/indexCodec.ts), undefined where the entry has none.
 */
export function present<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
