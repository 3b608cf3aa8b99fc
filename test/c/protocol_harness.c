/* Host test harness for firmware-gen/protocol (driven by test/protocol-c.test.ts).
 *
 * Reads a vectors file (argv[1]) of line commands, produced from the JSON files in test/fixtures/protocol:
 *   pin <modes> <analog_channel> <analog_bits> <pwm_bits>   board pin table, in pin order
 *   name <firmware name>
 *   case <name> <test|none>    fresh board (classify callback = test classifier, or NULL)
 *   feed <hex> | poll | announce
 *   expect <hex>               bytes the board must have written since the case started (may be empty)
 *   hal <entry...>             next expected HAL call ("mode 13 1", "write 13 1")
 *   end                        no further HAL calls may have happened
 *   good <request hex> <reply hex>   a request and its exact reply, used after fuzz streams
 *   fuzz <seed> <streams>      seeded random streams, each followed by a good request that must be answered
 *   selftest                   C-only checks (CRC check value, packing, init validation, poll, tx chunking)
 * The test HAL is specified in test/fixtures/protocol/board.json ("testHal"). Exit status 0 = all passed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ed_board.h"
#include "ed_codec.h"

#define MAX_OUT 65536u
#define MAX_HAL 64u
#define MAX_GOOD 8u
#define LINE_MAX_LEN 65536u

static ed_pin_info pins[ED_MAX_PINS];
static uint8_t pin_count;
static char firmware_name[ED_FIRMWARE_NAME_MAX + 1u];

static uint8_t out[MAX_OUT];
static size_t out_len;
static int capture = 1;
static size_t max_write_seen;
static char hal_log[MAX_HAL][32];
static size_t hal_len;
static size_t hal_checked;
static uint32_t micros_now;
static uint8_t input_xor; /* selftest: flips digital inputs */

static char case_name[128];
static int failures;

static void fail(const char *what)
{
    fprintf(stderr, "FAIL [%s]: %s\n", case_name, what);
    failures++;
}

/* ---- test HAL ---------------------------------------------------------------------------------------------- */

static void hal_write(void *ctx, const uint8_t *bytes, size_t n)
{
    (void)ctx;
    if (n == 0u || n > ED_TX_CHUNK) fail("io.write called with 0 or more than ED_TX_CHUNK bytes");
    if (n > max_write_seen) max_write_seen = n;
    if (!capture) return;
    if (out_len + n > MAX_OUT) {
        fail("output capture overflow");
        return;
    }
    memcpy(out + out_len, bytes, n);
    out_len += n;
}

static void hal_log_entry(const char *kind, uint8_t pin, uint8_t value)
{
    if (hal_len < MAX_HAL) snprintf(hal_log[hal_len], sizeof hal_log[0], "%s %u %u", kind, pin, value);
    hal_len++;
}

static void hal_set_pin_mode(void *ctx, uint8_t pin, uint8_t mode)
{
    (void)ctx;
    hal_log_entry("mode", pin, mode);
}

static void hal_digital_write(void *ctx, uint8_t pin, uint8_t value)
{
    (void)ctx;
    hal_log_entry("write", pin, value);
}

static uint8_t hal_digital_read(void *ctx, uint8_t pin)
{
    (void)ctx;
    return (uint8_t)((pin & 1u) ^ input_xor);
}

static uint16_t hal_analog_read(void *ctx, uint8_t channel)
{
    (void)ctx;
    return (uint16_t)(100u * channel + 7u);
}

static uint32_t hal_micros(void *ctx)
{
    uint32_t t = micros_now;
    (void)ctx;
    micros_now += 1000u;
    return t;
}

static int hal_classify(void *ctx, const uint8_t pixels[ED_PIXEL_COUNT], int8_t logits[ED_CLASS_COUNT], uint8_t *digit)
{
    uint32_t sums[ED_CLASS_COUNT] = {0};
    (void)ctx;
    for (size_t i = 0; i < ED_PIXEL_COUNT; i++) sums[i % ED_CLASS_COUNT] += pixels[i];
    *digit = 0;
    for (size_t k = 0; k < ED_CLASS_COUNT; k++) {
        logits[k] = (int8_t)((int)(sums[k] % 256u) - 128);
        if (logits[k] > logits[*digit]) *digit = (uint8_t)k;
    }
    if (pixels[0] == 0xA5u && pixels[1] == 0x5Au) return -1;
    if (pixels[0] == 0xA5u && pixels[1] == 0x5Bu) *digit = 10;
    return 0;
}

static ed_board board;
static ed_board_info info;

static ed_board_io test_io(int with_engine)
{
    ed_board_io io;
    memset(&io, 0, sizeof io);
    io.write = hal_write;
    io.set_pin_mode = hal_set_pin_mode;
    io.digital_write = hal_digital_write;
    io.digital_read = hal_digital_read;
    io.analog_read = hal_analog_read;
    io.micros = hal_micros;
    io.classify = with_engine ? hal_classify : NULL;
    return io;
}

static void start_board(int with_engine)
{
    ed_board_io io = test_io(with_engine);
    info.firmware_name = firmware_name;
    info.pins = pins;
    info.pin_count = pin_count;
    out_len = 0;
    hal_len = 0;
    hal_checked = 0;
    micros_now = 0xFFFFFE00u;
    input_xor = 0;
    if (ed_board_init(&board, &io, &info) != ED_INIT_OK) fail("ed_board_init rejected the fixture board");
}

/* ---- vectors ----------------------------------------------------------------------------------------------- */

static size_t parse_hex(const char *hex, uint8_t *dst, size_t cap)
{
    size_t n = 0;
    while (hex[0] && hex[1] && hex[0] != ' ' && hex[0] != '\n') {
        unsigned v;
        if (n == cap || sscanf(hex, "%2x", &v) != 1) {
            fail("bad hex in vectors file");
            return n;
        }
        dst[n++] = (uint8_t)v;
        hex += 2;
    }
    return n;
}

static void print_hex(const char *label, const uint8_t *bytes, size_t n)
{
    fprintf(stderr, "  %s (%zu bytes): ", label, n);
    for (size_t i = 0; i < n && i < 96u; i++) fprintf(stderr, "%02x", bytes[i]);
    fprintf(stderr, n > 96u ? "...\n" : "\n");
}

static void check_output(const uint8_t *expected, size_t n)
{
    size_t i = 0;
    if (n == out_len && memcmp(expected, out, n) == 0) return;
    while (i < n && i < out_len && expected[i] == out[i]) i++;
    fail("board output differs from the fixture");
    fprintf(stderr, "  first difference at output byte %zu\n", i);
    print_hex("expected", expected, n);
    print_hex("got     ", out, out_len);
}

static void check_hal(const char *entry)
{
    if (hal_checked >= hal_len || hal_checked >= MAX_HAL) {
        fprintf(stderr, "  missing HAL call: %s\n", entry);
        fail("fewer HAL calls than expected");
    } else if (strcmp(hal_log[hal_checked], entry) != 0) {
        fprintf(stderr, "  HAL call %zu: expected \"%s\", got \"%s\"\n", hal_checked, entry, hal_log[hal_checked]);
        fail("HAL call differs");
    }
    hal_checked++;
}

/* ---- fuzz -------------------------------------------------------------------------------------------------- */

static uint32_t rng_state;

static uint32_t rng(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

typedef struct good_pair {
    uint8_t request[2048];
    size_t request_len;
    uint8_t reply[256];
    size_t reply_len;
} good_pair;

static good_pair goods[MAX_GOOD];
static size_t good_count;

static const uint8_t firmata_frames[][4] = {
    {0xF9, 0, 0, 0}, {0xF0, 0x79, 0xF7, 0}, {0xF0, 0x6B, 0xF7, 0}, {0xF0, 0x69, 0xF7, 0},
    {0xF0, 0x6D, 0x0D, 0xF7}, {0xF4, 0x0D, 0x01, 0}, {0xF5, 0x0D, 0x01, 0}, {0xD0, 0x01, 0, 0}, {0xC1, 0x01, 0, 0}, {0xFF, 0, 0, 0},
};
static const size_t firmata_frame_len[] = {1, 3, 3, 3, 4, 3, 3, 2, 2, 1};
static const uint8_t status_bytes[] = {0xF0, 0xF7, 0xF9, 0xFF, 0xF4, 0xF5, 0x90, 0xC0, 0xD0, 0xE0, 0x80, 0xF1, 0xFE};

static void feed_frame_variant(const uint8_t *frame, size_t len)
{
    size_t cut = len ? rng() % len : 0;
    switch (rng() % 4u) {
    case 0: /* intact */
        ed_board_feed_bytes(&board, frame, len);
        break;
    case 1: /* truncated */
        ed_board_feed_bytes(&board, frame, cut);
        break;
    case 2: /* one byte replaced */
        for (size_t i = 0; i < len; i++) ed_board_feed(&board, i == cut ? (uint8_t)rng() : frame[i]);
        break;
    default: /* one byte dropped */
        for (size_t i = 0; i < len; i++) {
            if (i != cut) ed_board_feed(&board, frame[i]);
        }
        break;
    }
}

static void fuzz_stream(void)
{
    unsigned segments = 1u + rng() % 12u;
    for (unsigned s = 0; s < segments; s++) {
        uint32_t kind = rng() % 7u;
        if (kind == 0u) {
            unsigned n = 1u + rng() % 64u;
            for (unsigned i = 0; i < n; i++) ed_board_feed(&board, (uint8_t)rng());
        } else if (kind == 1u) {
            unsigned n = 1u + rng() % 1200u;
            for (unsigned i = 0; i < n; i++) ed_board_feed(&board, (uint8_t)(rng() & 0x7Fu));
        } else if (kind == 2u) {
            ed_board_feed(&board, status_bytes[rng() % sizeof status_bytes]);
        } else if (kind == 3u && good_count > 0u) {
            const good_pair *g = &goods[rng() % good_count];
            feed_frame_variant(g->request, g->request_len);
        } else if (kind == 4u) {
            size_t f = rng() % (sizeof firmata_frame_len / sizeof firmata_frame_len[0]);
            feed_frame_variant(firmata_frames[f], firmata_frame_len[f]);
        } else if (kind == 5u) {
            ed_board_poll(&board);
        } else {
            ed_board_announce(&board);
        }
    }
}

static void run_fuzz(uint32_t seed, unsigned streams)
{
    snprintf(case_name, sizeof case_name, "fuzz seed %u", (unsigned)seed);
    if (good_count == 0u) {
        fail("fuzz needs at least one good request/reply pair");
        return;
    }
    rng_state = seed ? seed : 1u;
    start_board(1);
    for (unsigned s = 0; s < streams && failures == 0; s++) {
        const good_pair *g = &goods[s % good_count];
        capture = 0;
        fuzz_stream();
        capture = 1;
        out_len = 0;
        ed_board_feed_bytes(&board, g->request, g->request_len);
        /* Whatever state the garbage left, the good request must be answered; an error reply for the
         * interrupted frame may come first. */
        if (out_len < g->reply_len || memcmp(out + out_len - g->reply_len, g->reply, g->reply_len) != 0) {
            fprintf(stderr, "  stream %u\n", s);
            print_hex("expected tail", g->reply, g->reply_len);
            print_hex("got          ", out, out_len);
            fail("board did not answer a good request after a fuzz stream");
        }
    }
    hal_len = 0;
}

/* ---- C-only checks ----------------------------------------------------------------------------------------- */

static void selftest_codec(void)
{
    uint8_t src[64], packed[80], back[80];
    snprintf(case_name, sizeof case_name, "selftest codec");
    if (ed_crc16(ED_CRC_INIT, (const uint8_t *)"123456789", 9) != 0x29B1u) fail("CRC-16/CCITT-FALSE check value is not 0x29B1");
    rng_state = 12345u;
    for (size_t n = 0; n <= sizeof src; n++) {
        for (size_t i = 0; i < n; i++) src[i] = (uint8_t)rng();
        memset(packed, 0xEE, sizeof packed);
        ed_pack7(src, n, packed);
        if (packed[ed_packed_len(n)] != 0xEEu) fail("ed_pack7 wrote past ed_packed_len");
        for (size_t i = 0; i < ed_packed_len(n); i++) {
            if (packed[i] > 0x7Fu) fail("ed_pack7 produced a byte >= 0x80");
        }
        ed_unpack7(packed, n, back);
        if (n && memcmp(src, back, n) != 0) fail("ed_unpack7(ed_pack7(x)) != x");
        /* In place, destination two bytes below the source, as the board unpacks pixels. */
        memcpy(back + 2, packed, ed_packed_len(n));
        ed_unpack7(back + 2, n, back);
        if (n && memcmp(src, back, n) != 0) fail("in-place ed_unpack7 corrupted data");
    }
}

static void selftest_init(void)
{
    ed_board b;
    ed_board_io io = test_io(1);
    ed_board_io no_write = io;
    ed_pin_info dup[2] = {{0x0003u, 0u, 10u, 0u}, {0x0003u, 0u, 10u, 0u}};
    ed_pin_info bad_channel[1] = {{0x0003u, 16u, 10u, 0u}};
    ed_board_info i = {"ok", pins, 1};
    snprintf(case_name, sizeof case_name, "selftest init");
    no_write.write = NULL;
    if (ed_board_init(&b, &no_write, &i) != ED_INIT_NO_WRITE) fail("NULL write accepted");
    if (ed_board_init(&b, NULL, &i) != ED_INIT_NO_WRITE) fail("NULL io accepted");
    if (ed_board_init(&b, &io, NULL) != ED_INIT_NO_BOARD) fail("NULL info accepted");
    i.firmware_name = "";
    if (ed_board_init(&b, &io, &i) != ED_INIT_BAD_NAME) fail("empty name accepted");
    i.firmware_name = "a-firmware-name-longer-than-32-chars";
    if (ed_board_init(&b, &io, &i) != ED_INIT_BAD_NAME) fail("long name accepted");
    i.firmware_name = NULL;
    if (ed_board_init(&b, &io, &i) != ED_INIT_BAD_NAME) fail("NULL name accepted");
    i.firmware_name = "ok";
    i.pin_count = 129;
    if (ed_board_init(&b, &io, &i) != ED_INIT_BAD_PINS) fail("129 pins accepted");
    i.pins = dup;
    i.pin_count = 2;
    if (ed_board_init(&b, &io, &i) != ED_INIT_BAD_PINS) fail("duplicate analog channel accepted");
    i.pins = bad_channel;
    i.pin_count = 1;
    if (ed_board_init(&b, &io, &i) != ED_INIT_BAD_PINS) fail("analog channel 16 accepted");
    i.pins = NULL;
    if (ed_board_init(&b, &io, &i) != ED_INIT_BAD_PINS) fail("NULL pin table accepted");
    i.pin_count = 0;
    if (ed_board_init(&b, &io, &i) != ED_INIT_OK) fail("board without pins rejected");
}

static void selftest_poll(void)
{
    static const uint8_t enable_port0[] = {0xD0, 0x01};
    static const uint8_t first[] = {0x90, 0x2A, 0x01};
    static const uint8_t flipped[] = {0x90, 0x55, 0x00};
    snprintf(case_name, sizeof case_name, "selftest poll");
    start_board(1);
    ed_board_feed_bytes(&board, enable_port0, sizeof enable_port0);
    check_output(first, sizeof first);
    out_len = 0;
    ed_board_poll(&board);
    check_output(first, 0);
    input_xor = 1;
    ed_board_poll(&board);
    check_output(flipped, sizeof flipped);
    out_len = 0;
    ed_board_poll(&board);
    check_output(flipped, 0);
}

static void selftest_chunking(void)
{
    static ed_pin_info big[ED_MAX_PINS];
    static const uint8_t query[] = {0xF0, 0x6B, 0xF7};
    ed_board_io io = test_io(1);
    ed_board_info i = {"EdgeDigitsBig", big, (uint8_t)ED_MAX_PINS};
    size_t expected = 3u + ED_MAX_PINS * (12u * 2u + 1u);
    snprintf(case_name, sizeof case_name, "selftest chunking");
    for (size_t p = 0; p < ED_MAX_PINS; p++) {
        big[p].modes = 0x0FFFu;
        big[p].analog_channel = p < 16u ? (uint8_t)p : ED_NO_ANALOG_CHANNEL;
        big[p].analog_bits = 12;
        big[p].pwm_bits = 8;
    }
    out_len = 0;
    max_write_seen = 0;
    if (ed_board_init(&board, &io, &i) != ED_INIT_OK) fail("128-pin board rejected");
    ed_board_feed_bytes(&board, query, sizeof query);
    if (out_len != expected || out[0] != 0xF0u || out[1] != 0x6Cu || out[out_len - 1u] != 0xF7u) {
        fail("128-pin capability response has the wrong size or framing");
    }
    if (max_write_seen != ED_TX_CHUNK) fail("a long response was not split into ED_TX_CHUNK writes");
    for (size_t k = 2; k + 1u < out_len; k++) {
        if (out[k] > 0x7Fu) fail("status byte inside the capability response");
    }
}

/* ---- main -------------------------------------------------------------------------------------------------- */

static char line[LINE_MAX_LEN];
static uint8_t bytes[LINE_MAX_LEN / 2u];

int main(int argc, char **argv)
{
    FILE *f;
    unsigned cases = 0, fuzzed = 0;
    if (argc != 2) {
        fprintf(stderr, "usage: %s <vectors file>\n", argv[0]);
        return 2;
    }
    f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    while (fgets(line, sizeof line, f)) {
        char *arg = strchr(line, ' ');
        size_t len = strlen(line);
        if (len && line[len - 1u] == '\n') line[--len] = '\0';
        if (arg) *arg++ = '\0';
        else arg = line + len;
        if (strcmp(line, "pin") == 0) {
            unsigned modes, ch, abits, pbits;
            if (pin_count >= ED_MAX_PINS || sscanf(arg, "%u %u %u %u", &modes, &ch, &abits, &pbits) != 4) {
                fail("bad pin line");
                continue;
            }
            pins[pin_count].modes = (uint16_t)modes;
            pins[pin_count].analog_channel = (uint8_t)ch;
            pins[pin_count].analog_bits = (uint8_t)abits;
            pins[pin_count].pwm_bits = (uint8_t)pbits;
            pin_count++;
        } else if (strcmp(line, "name") == 0) {
            snprintf(firmware_name, sizeof firmware_name, "%s", arg);
        } else if (strcmp(line, "case") == 0) {
            char engine[8] = "";
            if (sscanf(arg, "%127s %7s", case_name, engine) != 2) fail("bad case line");
            start_board(strcmp(engine, "none") != 0);
            cases++;
        } else if (strcmp(line, "feed") == 0) {
            ed_board_feed_bytes(&board, bytes, parse_hex(arg, bytes, sizeof bytes));
        } else if (strcmp(line, "poll") == 0) {
            ed_board_poll(&board);
        } else if (strcmp(line, "announce") == 0) {
            ed_board_announce(&board);
        } else if (strcmp(line, "expect") == 0) {
            check_output(bytes, parse_hex(arg, bytes, sizeof bytes));
        } else if (strcmp(line, "hal") == 0) {
            check_hal(arg);
        } else if (strcmp(line, "end") == 0) {
            if (hal_len != hal_checked) {
                fprintf(stderr, "  %zu unexpected HAL call(s), first: %s\n", hal_len - hal_checked,
                        hal_checked < MAX_HAL ? hal_log[hal_checked] : "?");
                fail("more HAL calls than expected");
            }
        } else if (strcmp(line, "good") == 0) {
            char *reply = strchr(arg, ' ');
            if (good_count == MAX_GOOD || !reply) {
                fail("bad good line");
                continue;
            }
            goods[good_count].request_len = parse_hex(arg, goods[good_count].request, sizeof goods[0].request);
            goods[good_count].reply_len = parse_hex(reply + 1, goods[good_count].reply, sizeof goods[0].reply);
            good_count++;
        } else if (strcmp(line, "fuzz") == 0) {
            unsigned seed, streams;
            if (sscanf(arg, "%u %u", &seed, &streams) != 2) fail("bad fuzz line");
            else run_fuzz((uint32_t)seed, streams);
            fuzzed += streams;
        } else if (strcmp(line, "selftest") == 0) {
            selftest_codec();
            selftest_init();
            selftest_poll();
            selftest_chunking();
        } else if (line[0] != '\0' && line[0] != '#') {
            fprintf(stderr, "unknown vectors command: %s\n", line);
            failures++;
        }
    }
    fclose(f);
    printf("protocol harness: %u cases, %u fuzz streams, %d failure(s)\n", cases, fuzzed, failures);
    return failures ? 1 : 0;
}
