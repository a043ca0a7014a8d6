// Engine addresses as they may be shown: a password in an address's userinfo becomes `***`.
// berth refuses such addresses when it parses them (src/config/host.ts); this is the second
// line, for addresses that reach a message or a field some other way (a transport made by hand).

/**
 * `tcp://me:pw@host:2375` → `tcp://me:***@host:2375`; anything else is returned as is. The last
 * `@` counts, even past a `/`: a password may hold `/`, and hiding too much is the safe mistake.
 */
export function redactAddress(address: string): string {
  const sep = address.indexOf("://");
  if (sep < 0) return address;
  const start = sep + 3;
  const at = address.lastIndexOf("@");
  if (at < start) return address;
  const colon = address.indexOf(":", start);
  if (colon < 0 || colon > at) return address;
  return `${address.slice(0, colon)}:***${address.slice(at)}`;
}
