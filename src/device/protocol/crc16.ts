/**
 * CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, MSB-first, no reflection, no final xor.
 * Check value: crc16CcittFalse(ASCII "123456789") === 0x29B1.
 * Bitwise on purpose: the board computes the same loop without a 512-byte table.
 */
import { Layout } from './ids.js';

export const CRC16_CHECK_VALUE = 0x29b1;

/** `crc` continues a previous computation, so a message can be checksummed in pieces. */
export function crc16CcittFalse(bytes: Uint8Array, crc: number = Layout.CRC_INIT): number {
  let c = crc & 0xffff;
  for (const byte of bytes) {
    c ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      c = c & 0x8000 ? ((c << 1) ^ Layout.CRC_POLY) & 0xffff : (c << 1) & 0xffff;
    }
  }
  return c;
}
