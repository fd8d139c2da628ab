/**
 * The password of a connection URL in the forms text may quote it: as written in the URL, and
 * percent-decoded as a driver passes it on. A password that is not valid percent-encoding is
 * only as written: decoding it must not fail the command that is hiding it.
 */
export const passwordForms = (url: string): ReadonlyArray<string> => {
  if (!URL.canParse(url)) return []
  const { password } = new URL(url)
  if (password === "") return []
  try {
    return [password, decodeURIComponent(password)]
  } catch {
    return [password]
  }
}

const secretParameter = /pass|secret|token|key/i

/** The connection string with its password (and any secret-looking parameter) masked, for messages. */
export const maskUrl = (url: string): string => {
  if (!URL.canParse(url)) return "postgres://(a connection string that is not a URL, hidden)"
  const parsed = new URL(url)
  if (parsed.password !== "") parsed.password = "***"
  for (const name of [...parsed.searchParams.keys()]) {
    if (secretParameter.test(name)) parsed.searchParams.set(name, "***")
  }
  return parsed.toString()
}
