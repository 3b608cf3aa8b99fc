/* Copied by edge-digits firmware-gen from firmware-gen/protocol/ed_codec.h; edit the original, not this copy. */
#include "ed_prefix.h" /* added by edge-digits firmware-gen: per-model symbol names */
/* Byte-level codecs of the edge-digits protocol: CRC-16/CCITT-FALSE and Firmata's dense 7-bit packing.
 * Pure functions, C99, no allocation; specified in docs/protocol.md. */
#ifndef ED_CODEC_H
#define ED_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* C linkage from C++ too (an Arduino sketch is C++): without it a sketch references mangled names. */
#ifdef __cplusplus
extern "C" {
#endif

/* Folds one byte into a running CRC-16/CCITT-FALSE (poly 0x1021, MSB first, start from ED_CRC_INIT,
 * no final xor). Check value: the CRC of ASCII "123456789" is 0x29B1. */
uint16_t ed_crc16_update(uint16_t crc, uint8_t byte);
uint16_t ed_crc16(uint16_t crc, const uint8_t *bytes, size_t n);

/* Sysex bytes needed for n payload bytes: ceil(8n / 7). */
size_t ed_packed_len(size_t n);

/* Packs n bytes as one little-endian bit stream cut into 7-bit groups; writes ed_packed_len(n) bytes. */
void ed_pack7(const uint8_t *src, size_t n, uint8_t *dst);

/* Inverse of ed_pack7: reads ed_packed_len(n) 7-bit bytes from src, writes n bytes to dst. dst may equal src or
 * lie below it (in-place unpacking): byte i is written only after every source byte it could overwrite was read,
 * because byte i is built from source bytes at indices >= i. */
void ed_unpack7(const uint8_t *src, size_t n, uint8_t *dst);

#ifdef __cplusplus
}
#endif

#endif /* ED_CODEC_H */
