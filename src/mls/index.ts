// End-to-end encrypted rooms (MLS, RFC 9420; FGMV-46 7.2.1): Verity as the delivery and
// authentication service, over the store and the log; it never holds a group secret or plaintext.
export type { MlsDeliveryOptions, QueuedMessage, Room } from './delivery.ts';
export { CLAIM_KIND, KEY_PACKAGE_KIND, MlsDelivery, QUEUE_KIND, ROOM_KIND } from './delivery.ts';
export { DEFAULT_CIPHERSUITES, MAX_MESSAGE_BYTES } from './wire.ts';
