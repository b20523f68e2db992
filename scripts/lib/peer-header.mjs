// The header scripts/lib/console-server.mjs sets on every request: `<key> <peer address>`. Only
// that server knows the key (a fresh random value per start), so a client cannot forge it.
export const PEER_HEADER = "x-portcullis-peer";

/** @param {string} key @param {string} address */
export function peerHeaderValue(key, address) {
  return `${key} ${address}`;
}
