/* Board side of the edge-digits serial protocol: a byte-at-a-time parser and responder for the Firmata subset
 * johnny-five needs plus the classify sysex extension (docs/protocol.md).
 *
 * The core knows neither the transport nor the inference engine: the HAL hands it bytes (ed_board_feed) and a
 * table of callbacks (ed_board_io); everything the board says goes out through io.write. Portable C99, no
 * malloc, no float, no recursion; all state lives in the caller-owned ed_board (about 1.3 KB, most of it the
 * receive buffer sized for the largest request, ED_MAX_SYSEX_BODY_LEN).
 *
 * Not reentrant: call ed_board_feed / ed_board_poll / ed_board_announce from one execution context (e.g. the
 * main loop, not an interrupt handler), and never from inside an io callback.
 *
 * Typical HAL loop:
 *     static ed_board board;
 *     if (ed_board_init(&board, &io, &info) != ED_INIT_OK) halt();
 *     ed_board_announce(&board);
 *     for (;;) { while (uart_has_byte()) ed_board_feed(&board, uart_read()); ed_board_poll(&board); }
 */
#ifndef ED_BOARD_H
#define ED_BOARD_H

#include <stddef.h>
#include <stdint.h>

#include "ed_protocol_ids.h"

/* C linkage from C++ too (an Arduino sketch is C++): without it a sketch references mangled names. */
#ifdef __cplusplus
extern "C" {
#endif

#define ED_MAX_PINS 128u          /* Firmata pin numbers are 7-bit */
#define ED_MAX_PORTS 16u          /* REPORT_DIGITAL / DIGITAL_MESSAGE carry the port in a nibble */
#define ED_MAX_ANALOG_CHANNELS 16u
#define ED_FIRMWARE_NAME_MAX 32u
#define ED_TX_CHUNK 64u           /* bytes staged before each io.write call */

/* One pin as reported in the capability and analog mapping responses. */
typedef struct ed_pin_info {
    uint16_t modes;          /* bit m set: the pin supports Firmata mode m (ED_MODE_*); 0 = unusable pin */
    uint8_t analog_channel;  /* 0..15, or ED_NO_ANALOG_CHANNEL */
    uint8_t analog_bits;     /* resolution reported for ED_MODE_ANALOG (e.g. 10 or 12) */
    uint8_t pwm_bits;        /* resolution reported for ED_MODE_PWM (e.g. 8); other modes report 1 */
} ed_pin_info;

/* What the board is. The core keeps the pointers: `pins` and `firmware_name` must outlive the board.
 * Every pin starts in its default mode, the lowest mode set in `modes` (INPUT for ordinary pins, matching an MCU
 * after reset); the core does not call set_pin_mode at init. */
typedef struct ed_board_info {
    const char *firmware_name;  /* 1..ED_FIRMWARE_NAME_MAX chars, sent in REPORT_FIRMWARE */
    const ed_pin_info *pins;    /* pin_count entries, index = Firmata pin number */
    uint8_t pin_count;          /* 0..ED_MAX_PINS */
} ed_board_info;

/* HAL callbacks. Only `write` is required; a NULL callback means the board lacks that feature. */
typedef struct ed_board_io {
    void *ctx; /* passed back to every callback */
    /* Sends bytes to the host. Called with at most ED_TX_CHUNK bytes; may block until they are queued. */
    void (*write)(void *ctx, const uint8_t *bytes, size_t n);
    /* Applies a mode the host set; the core only calls it with a mode listed for that pin. */
    void (*set_pin_mode)(void *ctx, uint8_t pin, uint8_t mode);
    void (*digital_write)(void *ctx, uint8_t pin, uint8_t value);
    /* Reads a pin in INPUT or PULLUP mode (0 or 1); used for REPORT_DIGITAL. */
    uint8_t (*digital_read)(void *ctx, uint8_t pin);
    /* Reads an analog channel (0..0x3FFF); used for REPORT_ANALOG. */
    uint16_t (*analog_read)(void *ctx, uint8_t channel);
    /* Free-running microsecond counter, may wrap; the classify reply carries the wrapped difference. */
    uint32_t (*micros)(void *ctx);
    /* Runs the model on 784 row-major pixels; fills 10 logits and the digit. Returns 0 on success. */
    int (*classify)(void *ctx, const uint8_t pixels[ED_PIXEL_COUNT], int8_t logits[ED_CLASS_COUNT], uint8_t *digit);
} ed_board_io;

typedef enum ed_init_result {
    ED_INIT_OK = 0,
    ED_INIT_NO_WRITE,      /* io or io->write is NULL */
    ED_INIT_BAD_NAME,      /* firmware_name NULL, empty or longer than ED_FIRMWARE_NAME_MAX */
    ED_INIT_BAD_PINS,      /* pin_count > ED_MAX_PINS, pins NULL, or an analog channel > 15 or used twice */
    ED_INIT_NO_BOARD       /* board or info is NULL */
} ed_init_result;

/* Caller-owned state; treat the fields as private. */
typedef struct ed_board {
    ed_board_io io;
    const ed_board_info *info;
    uint8_t parse_state;
    uint8_t command;            /* status byte (MIDI messages) or sysex ID being received */
    uint8_t midi_need;
    uint8_t midi_have;
    uint8_t midi_data[2];
    uint16_t body_len;          /* sysex data bytes received after the ID */
    uint8_t body[ED_MAX_SYSEX_BODY_LEN];
    uint8_t pin_mode[ED_MAX_PINS];
    uint8_t pin_state[ED_MAX_PINS]; /* last value written (outputs) or pull-up on (PULLUP) */
    uint16_t digital_report_ports;  /* bit p: report port p */
    uint16_t analog_report_channels; /* bit c: report channel c */
    uint16_t analog_channels_present;
    uint8_t last_port_value[ED_MAX_PORTS];
    uint8_t tx[ED_TX_CHUNK];
    uint8_t tx_len;
} ed_board;

ed_init_result ed_board_init(ed_board *b, const ed_board_io *io, const ed_board_info *info);

/* REPORT_VERSION then REPORT_FIRMWARE, as a Firmata board sends at boot. Hosts that missed it (USB CDC, QEMU
 * ptys) query both, and the board answers whenever asked. */
void ed_board_announce(ed_board *b);

/* Processes one received byte; may call io callbacks (write, classify, ...) before returning. */
void ed_board_feed(ed_board *b, uint8_t byte);
void ed_board_feed_bytes(ed_board *b, const uint8_t *bytes, size_t n);

/* Reports inputs the host enabled: digital ports whose value changed since the last report, and every enabled
 * analog channel (Firmata reports analog at each sampling interval). Call at the HAL's sampling interval. */
void ed_board_poll(ed_board *b);

#ifdef __cplusplus
}
#endif

#endif /* ED_BOARD_H */
