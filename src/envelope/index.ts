export { bindAad, ENVELOPE_OVERHEAD, ENVELOPE_V1, MAX_PLAINTEXT, open, seal } from './envelope.ts';
