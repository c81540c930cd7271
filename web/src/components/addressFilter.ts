// A list's filter kept in the page's address, so a filtered list can be linked: the named
// query parameters, each kept only when it has a value.

export type AddressFilter<K extends string> = Partial<Record<K, string>>;

/** The filter the address holds: each of `names` with a value, trimmed. */
export function filterOf<K extends string>(params: URLSearchParams, names: readonly K[]): AddressFilter<K> {
  const filter: AddressFilter<K> = {};
  for (const name of names) {
    const value = params.get(name)?.trim();
    if (value) filter[name] = value;
  }
  return filter;
}

/** The address's query for `filter`: each of `names` it gives a value. */
export function paramsOf<K extends string>(filter: AddressFilter<K>, names: readonly K[]): URLSearchParams {
  const params = new URLSearchParams();
  for (const name of names) {
    const value = filter[name];
    if (value) params.set(name, value);
  }
  return params;
}

/** What an empty list says: that nothing matches its filter, or, when it has none, that
 * there is nothing yet and how the first `what` come (a first visit is not a filter's miss). */
export function emptyListText(filter: object, what: string, howFirst: string): string {
  return Object.values(filter).some(Boolean) ? `No ${what} match.` : `No ${what} yet: ${howFirst}`;
}
