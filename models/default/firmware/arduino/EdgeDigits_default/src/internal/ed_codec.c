/* Copied by edge-digits firmware-gen from firmware-gen/protocol/ed_codec.c; edit the original, not this copy. */
#include "ed_prefix.h" /* added by edge-digits firmware-gen: per-model symbol names */
#include "ed_codec.h"

#include "ed_protocol_ids.h"

uint16_t ed_crc16_update(uint16_t crc, uint8_t byte)
{
    uint16_t c = (uint16_t)(crc ^ (uint16_t)((uint16_t)byte << 8));
    for (int bit = 0; bit < 8; bit++) {
        c = (c & 0x8000u) ? (uint16_t)((uint16_t)(c << 1) ^ ED_CRC_POLY) : (uint16_t)(c << 1);
    }
    return c;
}

uint16_t ed_crc16(uint16_t crc, const uint8_t *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++) crc = ed_crc16_update(crc, bytes[i]);
    return crc;
}

size_t ed_packed_len(size_t n)
{
    return (n * 8u + 6u) / 7u;
}

void ed_pack7(const uint8_t *src, size_t n, uint8_t *dst)
{
    uint32_t acc = 0; /* never holds more than 14 bits: < 7 left over + 8 new */
    unsigned bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        acc |= (uint32_t)src[i] << bits;
        bits += 8u;
        while (bits >= 7u) {
            dst[o++] = (uint8_t)(acc & 0x7Fu);
            acc >>= 7;
            bits -= 7u;
        }
    }
    if (bits > 0u) dst[o] = (uint8_t)(acc & 0x7Fu);
}

void ed_unpack7(const uint8_t *src, size_t n, uint8_t *dst)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    size_t packed = ed_packed_len(n);
    for (size_t i = 0; i < packed && o < n; i++) {
        acc |= (uint32_t)(src[i] & 0x7Fu) << bits;
        bits += 7u;
        if (bits >= 8u) {
            dst[o++] = (uint8_t)(acc & 0xFFu);
            acc >>= 8;
            bits -= 8u;
        }
    }
}
