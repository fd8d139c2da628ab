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

const idIndexes = new WeakMap<ReadonlyArray<{ readonly id: string }>, Map<string, { readonly id: string }>>()

/**
 * The first of `items` with `id`. A list is indexed on its first lookup (lists read from a
 * cloud are not changed afterwards): a lookup per resource that scanned it was quadratic.
 */
export const withId = <A extends { readonly id: string }>(items: ReadonlyArray<A>, id: string): A | undefined => {
  let index = idIndexes.get(items)
  if (index === undefined) {
    index = new Map()
    for (const item of items) if (!index.has(item.id)) index.set(item.id, item)
    idIndexes.set(items, index)
  }
  return index.get(id) as A | undefined
}
