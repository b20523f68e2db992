import { hex } from "./encoding";

/** Lowercase hex SHA-256 of a string's UTF-8 bytes. Pure Web Crypto: the console and the edge hash alike. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return hex(digest);
}
