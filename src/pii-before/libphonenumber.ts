// libphonenumber-js's values for the phone recognizer, from its joined module where one was built
// (src/deps: some 110 modules, 70-100 ms to load in every process and PII worker that scans).
// Private to src/pii.
import type * as P from 'libphonenumber-js';
import { loadJoined } from '../deps/index.ts';

const p = (await loadJoined<typeof P>('libphonenumber-js')).module;

export const isPossiblePhoneNumber: typeof P.isPossiblePhoneNumber = p.isPossiblePhoneNumber;
export const Metadata: typeof P.Metadata = p.Metadata;
export type Metadata = P.Metadata;
