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
