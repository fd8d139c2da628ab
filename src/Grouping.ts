/** `items` by `keyOf`, in their order; appended in place (a copy per item made a zone of ten thousand records quadratic). */
export const groupBy = <A, K>(items: Iterable<A>, keyOf: (item: A) => K): Map<K, Array<A>> => {
  const groups = new Map<K, Array<A>>()
  for (const item of items) {
    const key = keyOf(item)
    const group = groups.get(key)
    if (group === undefined) groups.set(key, [item])
    else group.push(item)
  }
  return groups
}

type Field = "id" | "name"

const indexes: Record<Field, WeakMap<ReadonlyArray<unknown>, Map<string, ReadonlyArray<unknown>>>> = {
  id: new WeakMap(),
  name: new WeakMap()
}

/**
 * The items of `items` whose `field` is `value`, in their order. A list is indexed on its first
 * lookup (lists read from a cloud are not changed afterwards): a lookup per resource that scanned
 * it was quadratic.
 */
const lookup = <A extends Readonly<Record<F, string>>, F extends Field>(
  items: ReadonlyArray<A>,
  field: F,
  value: string
): ReadonlyArray<A> => {
  let index = indexes[field].get(items)
  if (index === undefined) {
    index = groupBy(items, (item) => item[field])
    indexes[field].set(items, index)
  }
  return (index.get(value) ?? []) as ReadonlyArray<A>
}

/** The first of `items` with `id`. */
export const withId = <A extends { readonly id: string }>(items: ReadonlyArray<A>, id: string): A | undefined =>
  lookup(items, "id", id)[0]

/** The items of `items` named `name`, in their order. */
export const named = <A extends { readonly name: string }>(items: ReadonlyArray<A>, name: string): ReadonlyArray<A> =>
  lookup(items, "name", name)
