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

// Each list is indexed on its first lookup and the index kept with it (lists read from a cloud are not changed
// afterwards): a lookup per resource that scanned the list was quadratic.
const byId = new WeakMap<object, Map<string, unknown>>()
const byName = new WeakMap<object, Map<string, ReadonlyArray<unknown>>>()

/** The first of `items` with `id`. */
export const withId = <A extends { readonly id: string }>(items: ReadonlyArray<A>, id: string): A | undefined => {
  let index = byId.get(items)
  if (index === undefined) {
    index = new Map()
    for (const item of items) if (!index.has(item.id)) index.set(item.id, item)
    byId.set(items, index)
  }
  return index.get(id) as A | undefined
}

/** The items of `items` named `name`, in their order. */
export const named = <A extends { readonly name: string }>(items: ReadonlyArray<A>, name: string): ReadonlyArray<A> => {
  let index = byName.get(items)
  if (index === undefined) {
    index = groupBy(items, (item) => item.name)
    byName.set(items, index)
  }
  return (index.get(name) ?? []) as ReadonlyArray<A>
}
