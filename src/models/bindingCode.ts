/**
 * Binding codes for the contact card: 6 characters from an alphabet without look-alikes (no 0/O, 1/I/L),
 * always with at least one digit and one letter so that an ordinary word is never mistaken for a code.
 */
import crypto from 'node:crypto';

export const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
const CODE_LENGTH = 6;
const LETTERS = /[A-Z]/;
const DIGITS = /[2-9]/;

export function generateCode(random: (n: number) => number = crypto.randomInt): string {
  for (;;) {
    let code = '';
    for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[random(CODE_ALPHABET.length)];
    if (LETTERS.test(code) && DIGITS.test(code)) return code;
  }
}
