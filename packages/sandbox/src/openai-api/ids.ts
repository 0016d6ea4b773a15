import { randomBytes } from 'node:crypto';

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** The prefix followed by `length` letters and digits, as OpenAI's ids are made. */
export function randomId(prefix: string, length: number): string {
  let id = prefix;
  while (id.length < prefix.length + length) {
    for (const byte of randomBytes(length)) {
      // Bytes from 248 up are dropped so each of the 62 characters is equally likely.
      if (byte < 248 && id.length < prefix.length + length) id += ID_ALPHABET[byte % ID_ALPHABET.length];
    }
  }
  return id;
}
