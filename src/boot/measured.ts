// The measurement secure boot took, handed from the bootstrap to the server it then loads.
// INVARIANT: Node.js built-ins only (none, in fact): the bootstrap imports it before the check.
// Set once, frozen, before any other Verity module is loaded; never changed afterwards.

import type { Measurement } from './release.ts';

let taken: Measurement | undefined;

/** Records the boot's measurement (the bootstrap calls it once, after the check passed). */
export function setBootMeasurement(m: Measurement): void {
  if (taken !== undefined) throw new RangeError('the boot measurement is set once');
  taken = Object.freeze({ ...m, events: Object.freeze(m.events.map((e) => Object.freeze({ ...e }))) });
}

/** The boot's measurement; undefined when the process started without secure boot. */
export function bootMeasurement(): Measurement | undefined {
  return taken;
}
