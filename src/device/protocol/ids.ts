/**
 * The wire's numbers, defined once next to the board's protocol core (firmware-gen/protocol/ids.ts, from which
 * the C header is generated) and used here by the host side.
 */
export * from '../../../firmware-gen/protocol/ids.js';
