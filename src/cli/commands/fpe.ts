/**
 * `verity fpe encrypt|decrypt`: FF1 (NIST SP 800-38G) with a raw AES key, as in the NIST samples;
 * no store is opened.
 */

import { fromHex } from '../../encoding/index.ts';
import { FF1 } from '../../fpe/index.ts';
import type { Command, Group } from '../command.ts';
import { int, opt, str } from '../common.ts';
import { out } from '../io.ts';

function ff1Command(decrypt: boolean): Command {
  return {
    name: decrypt ? 'decrypt' : 'encrypt',
    summary: `FF1 format-preserving ${decrypt ? 'decryption' : 'encryption'} of VALUE with a raw AES key`,
    options: {
      key: { type: 'string', value: 'HEX', required: true, help: 'the AES key (16, 24 or 32 bytes in hex)' },
      tweak: { type: 'string', value: 'HEX', help: 'the FF1 tweak' },
      radix: { type: 'string', value: 'N', required: true, help: 'the alphabet size, e.g. 10 for digits' },
      alphabet: { type: 'string', value: 'CHARS', help: 'the alphabet (default 0-9a-z up to the radix)' },
    },
    args: ['VALUE'],
    async run({ values, positionals }) {
      const f = new FF1(fromHex(str(values, 'key'), '--key'), int(values, 'radix', true), opt(values, 'alphabet'));
      const tweak = fromHex(opt(values, 'tweak') ?? '', '--tweak');
      const value = positionals[0] as string;
      await out(decrypt ? f.decrypt(value, tweak) : f.encrypt(value, tweak));
      return 0;
    },
  };
}

export const fpe: Group = {
  name: 'fpe',
  summary: 'FF1 format-preserving encryption (NIST SP 800-38G) with a raw key; no store',
  commands: [ff1Command(false), ff1Command(true)],
};
