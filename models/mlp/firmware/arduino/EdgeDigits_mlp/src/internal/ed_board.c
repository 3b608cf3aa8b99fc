/* Copied by edge-digits firmware-gen from firmware-gen/protocol/ed_board.c; edit the original, not this copy. */
#include "ed_prefix.h" /* added by edge-digits firmware-gen: per-model symbol names */
#include "ed_board.h"

#include <string.h>

#include "ed_codec.h"

enum {
    PARSE_IDLE = 0,     /* between messages: data bytes are ignored */
    PARSE_MIDI,         /* collecting the data bytes of a status-byte command */
    PARSE_SYSEX_ID,     /* after F0, waiting for the sysex ID */
    PARSE_SYSEX_BODY    /* collecting sysex data until F7 */
};

#define PIN_UNUSABLE 0x7Fu /* pin_mode of a pin that lists no modes */
#define CLASSIFY_CRC_AT (ED_SEQ_BYTES + ED_PIXEL_COUNT / 7u * 8u)

/* The in-place unpack and the CRC offset above assume the pixels pack without padding. */
typedef char pixels_pack_exactly[(ED_PIXEL_COUNT % 7u == 0u) ? 1 : -1];
typedef char request_len_consistent[(CLASSIFY_CRC_AT + ED_CRC_BYTES == ED_CLASSIFY_REQUEST_BODY_LEN) ? 1 : -1];
/* send_ed_frame packs into a buffer sized for the classify reply, the largest board -> host payload. */
#define MAX_REPLY_PAYLOAD ED_CLASSIFY_REPLY_PAYLOAD_LEN
typedef char replies_fit[(ED_ERROR_REPLY_PAYLOAD_LEN <= MAX_REPLY_PAYLOAD && ED_PROTOCOL_INFO_REPLY_PAYLOAD_LEN <= MAX_REPLY_PAYLOAD) ? 1 : -1];

/* ---- output ------------------------------------------------------------------------------------------------ */

static void tx_flush(ed_board *b)
{
    if (b->tx_len > 0u) {
        b->io.write(b->io.ctx, b->tx, b->tx_len);
        b->tx_len = 0;
    }
}

static void tx_byte(ed_board *b, uint8_t v)
{
    b->tx[b->tx_len++] = v;
    if (b->tx_len == ED_TX_CHUNK) tx_flush(b);
}

/* F0 id seq(2) pack7(payload) crc(3) F7, the framing of every edge-digits message. */
static void send_ed_frame(ed_board *b, uint8_t id, uint16_t seq, const uint8_t *payload, size_t len)
{
    uint8_t packed[(MAX_REPLY_PAYLOAD * 8u + 6u) / 7u];
    uint16_t crc = ed_crc16_update(ED_CRC_INIT, id);
    size_t n = ed_packed_len(len);
    crc = ed_crc16_update(crc, (uint8_t)(seq & 0xFFu));
    crc = ed_crc16_update(crc, (uint8_t)(seq >> 8));
    crc = ed_crc16(crc, payload, len);
    ed_pack7(payload, len, packed);
    tx_byte(b, ED_CMD_START_SYSEX);
    tx_byte(b, id);
    tx_byte(b, (uint8_t)(seq & 0x7Fu));
    tx_byte(b, (uint8_t)((seq >> 7) & 0x7Fu));
    for (size_t i = 0; i < n; i++) tx_byte(b, packed[i]);
    tx_byte(b, (uint8_t)(crc & 0x7Fu));
    tx_byte(b, (uint8_t)((crc >> 7) & 0x7Fu));
    tx_byte(b, (uint8_t)(crc >> 14));
    tx_byte(b, ED_CMD_END_SYSEX);
    tx_flush(b);
}

static int command_has_seq(uint8_t id)
{
    return id == ED_SYSEX_CLASSIFY_REQUEST || id == ED_SYSEX_PROTOCOL_INFO_QUERY;
}

/* received: sysex body bytes seen when the frame was rejected. */
static void send_error_seq(ed_board *b, uint8_t reason, uint8_t command, uint16_t received, uint8_t offending,
                           int seq_valid, uint16_t seq)
{
    uint8_t payload[ED_ERROR_REPLY_PAYLOAD_LEN];
    payload[0] = reason;
    payload[1] = seq_valid ? ED_ERR_FLAG_SEQ_VALID : 0u;
    payload[2] = command;
    payload[3] = (uint8_t)(received & 0xFFu);
    payload[4] = (uint8_t)(received >> 8);
    payload[5] = offending;
    send_ed_frame(b, ED_SYSEX_ERROR_REPLY, seq_valid ? seq : 0u, payload, sizeof payload);
}

static uint16_t body_seq(const ed_board *b)
{
    return (uint16_t)(b->body[0] | ((uint16_t)b->body[1] << 7));
}

/* Error for the frame in the receive buffer: its seq is included when the command has one and it arrived. */
static void send_error(ed_board *b, uint8_t reason, uint8_t command, uint16_t received, uint8_t offending)
{
    int seq_valid = command_has_seq(command) && received >= ED_SEQ_BYTES;
    send_error_seq(b, reason, command, received, offending, seq_valid, seq_valid ? body_seq(b) : 0u);
}

static void send_version(ed_board *b)
{
    tx_byte(b, ED_CMD_REPORT_VERSION);
    tx_byte(b, ED_FIRMATA_VERSION_MAJOR);
    tx_byte(b, ED_FIRMATA_VERSION_MINOR);
    tx_flush(b);
}

/* The firmware version is the edge-digits protocol version, so the handshake already tells the host which
 * classify extension the board speaks. */
static void send_firmware(ed_board *b)
{
    const char *name = b->info->firmware_name;
    tx_byte(b, ED_CMD_START_SYSEX);
    tx_byte(b, ED_SYSEX_REPORT_FIRMWARE);
    tx_byte(b, ED_PROTOCOL_VERSION_MAJOR);
    tx_byte(b, ED_PROTOCOL_VERSION_MINOR);
    for (size_t i = 0; name[i] != '\0'; i++) {
        uint8_t c = (uint8_t)name[i];
        tx_byte(b, (uint8_t)(c & 0x7Fu));
        tx_byte(b, (uint8_t)(c >> 7));
    }
    tx_byte(b, ED_CMD_END_SYSEX);
    tx_flush(b);
}

static uint8_t mode_resolution(const ed_pin_info *pin, uint8_t mode)
{
    if (mode == ED_MODE_ANALOG) return pin->analog_bits;
    if (mode == ED_MODE_PWM) return pin->pwm_bits;
    return 1u;
}

static void send_capabilities(ed_board *b)
{
    tx_byte(b, ED_CMD_START_SYSEX);
    tx_byte(b, ED_SYSEX_CAPABILITY_RESPONSE);
    for (uint8_t p = 0; p < b->info->pin_count; p++) {
        const ed_pin_info *pin = &b->info->pins[p];
        for (uint8_t m = 0; m < 16u; m++) {
            if (pin->modes & (1u << m)) {
                tx_byte(b, m);
                tx_byte(b, (uint8_t)(mode_resolution(pin, m) & 0x7Fu));
            }
        }
        tx_byte(b, ED_CAPABILITY_PIN_END);
    }
    tx_byte(b, ED_CMD_END_SYSEX);
    tx_flush(b);
}

static void send_analog_mapping(ed_board *b)
{
    tx_byte(b, ED_CMD_START_SYSEX);
    tx_byte(b, ED_SYSEX_ANALOG_MAPPING_RESPONSE);
    for (uint8_t p = 0; p < b->info->pin_count; p++) tx_byte(b, b->info->pins[p].analog_channel);
    tx_byte(b, ED_CMD_END_SYSEX);
    tx_flush(b);
}

static void send_pin_state(ed_board *b, uint8_t pin)
{
    tx_byte(b, ED_CMD_START_SYSEX);
    tx_byte(b, ED_SYSEX_PIN_STATE_RESPONSE);
    tx_byte(b, pin);
    tx_byte(b, b->pin_mode[pin]);
    tx_byte(b, b->pin_state[pin]); /* states are 0/1, one 7-bit group */
    tx_byte(b, ED_CMD_END_SYSEX);
    tx_flush(b);
}

static void send_three(ed_board *b, uint8_t status, uint16_t value)
{
    tx_byte(b, status);
    tx_byte(b, (uint8_t)(value & 0x7Fu));
    tx_byte(b, (uint8_t)((value >> 7) & 0x7Fu));
    tx_flush(b);
}

/* ---- pins -------------------------------------------------------------------------------------------------- */

static uint8_t default_mode(const ed_pin_info *pin)
{
    for (uint8_t m = 0; m < 16u; m++) {
        if (pin->modes & (1u << m)) return m;
    }
    return PIN_UNUSABLE;
}

static uint8_t mode_state(uint8_t mode)
{
    return mode == ED_MODE_PULLUP ? 1u : 0u;
}

static int pin_is_input(const ed_board *b, uint8_t pin)
{
    return b->pin_mode[pin] == ED_MODE_INPUT || b->pin_mode[pin] == ED_MODE_PULLUP;
}

static uint8_t read_port(ed_board *b, uint8_t port)
{
    uint8_t value = 0;
    for (uint8_t i = 0; i < 8u; i++) {
        uint8_t pin = (uint8_t)(port * 8u + i);
        if (pin < b->info->pin_count && pin_is_input(b, pin) && b->io.digital_read(b->io.ctx, pin)) {
            value = (uint8_t)(value | (1u << i));
        }
    }
    return value;
}

static void report_port(ed_board *b, uint8_t port, uint8_t value)
{
    b->last_port_value[port] = value;
    send_three(b, (uint8_t)(ED_CMD_DIGITAL_MESSAGE | port), value);
}

static void set_pin_mode(ed_board *b, uint8_t pin, uint8_t mode)
{
    if (pin >= b->info->pin_count || mode >= 16u || !(b->info->pins[pin].modes & (1u << mode))) return;
    b->pin_mode[pin] = mode;
    b->pin_state[pin] = mode_state(mode);
    if (b->io.set_pin_mode) b->io.set_pin_mode(b->io.ctx, pin, mode);
}

static void write_pin(ed_board *b, uint8_t pin, uint8_t value)
{
    if (pin >= b->info->pin_count || b->pin_mode[pin] != ED_MODE_OUTPUT) return;
    b->pin_state[pin] = value;
    if (b->io.digital_write) b->io.digital_write(b->io.ctx, pin, value);
}

static void write_port(ed_board *b, uint8_t port, uint8_t value)
{
    for (uint8_t i = 0; i < 8u; i++) write_pin(b, (uint8_t)(port * 8u + i), (uint8_t)((value >> i) & 1u));
}

static void set_digital_reporting(ed_board *b, uint8_t port, uint8_t enable)
{
    if (!enable) {
        b->digital_report_ports = (uint16_t)(b->digital_report_ports & ~(1u << port));
        return;
    }
    b->digital_report_ports = (uint16_t)(b->digital_report_ports | (1u << port));
    /* Firmata 2.4+: enabling a report sends the current value at once. */
    if (b->io.digital_read) report_port(b, port, read_port(b, port));
}

static void set_analog_reporting(ed_board *b, uint8_t channel, uint8_t enable)
{
    if (!(b->analog_channels_present & (1u << channel))) return;
    if (!enable) {
        b->analog_report_channels = (uint16_t)(b->analog_report_channels & ~(1u << channel));
        return;
    }
    b->analog_report_channels = (uint16_t)(b->analog_report_channels | (1u << channel));
    if (b->io.analog_read) send_three(b, (uint8_t)(ED_CMD_ANALOG_MESSAGE | channel), b->io.analog_read(b->io.ctx, channel));
}

static void reset_pins(ed_board *b, int call_hal)
{
    for (uint8_t p = 0; p < b->info->pin_count; p++) {
        uint8_t mode = default_mode(&b->info->pins[p]);
        if (call_hal && b->pin_mode[p] != mode && mode != PIN_UNUSABLE && b->io.set_pin_mode) {
            b->io.set_pin_mode(b->io.ctx, p, mode);
        }
        b->pin_mode[p] = mode;
        b->pin_state[p] = mode_state(mode);
    }
    b->digital_report_ports = 0;
    b->analog_report_channels = 0;
    memset(b->last_port_value, 0, sizeof b->last_port_value);
}

/* ---- edge-digits requests ---------------------------------------------------------------------------------- */

static uint16_t body_crc(const ed_board *b, size_t at)
{
    return (uint16_t)(b->body[at] | ((uint16_t)b->body[at + 1u] << 7) | ((uint16_t)(b->body[at + 2u] & 0x03u) << 14));
}

/* The top CRC group holds 2 bits; anything above cannot match and counts as a CRC failure. */
static int body_crc_fits(const ed_board *b, size_t at)
{
    return b->body[at + 2u] <= 0x03u;
}

static uint16_t header_crc(uint8_t id, uint16_t seq)
{
    uint16_t crc = ed_crc16_update(ED_CRC_INIT, id);
    crc = ed_crc16_update(crc, (uint8_t)(seq & 0xFFu));
    return ed_crc16_update(crc, (uint8_t)(seq >> 8));
}

static void reply_classify(ed_board *b, uint16_t seq, uint8_t status, uint8_t digit, const int8_t *logits, uint32_t micros)
{
    uint8_t payload[ED_CLASSIFY_REPLY_PAYLOAD_LEN];
    payload[0] = status;
    payload[1] = digit;
    for (size_t k = 0; k < ED_CLASS_COUNT; k++) payload[2u + k] = (uint8_t)logits[k];
    for (size_t i = 0; i < 4u; i++) payload[2u + ED_CLASS_COUNT + i] = (uint8_t)(micros >> (8u * i));
    send_ed_frame(b, ED_SYSEX_CLASSIFY_REPLY, seq, payload, sizeof payload);
}

static void handle_classify(ed_board *b)
{
    uint16_t seq;
    uint16_t received;
    int8_t logits[ED_CLASS_COUNT];
    uint8_t digit = 0;
    uint8_t status = ED_STATUS_OK;
    uint32_t start = 0;
    uint32_t elapsed = 0;

    if (b->body_len != ED_CLASSIFY_REQUEST_BODY_LEN) {
        send_error(b, ED_ERR_BAD_LENGTH, ED_SYSEX_CLASSIFY_REQUEST, b->body_len, 0);
        return;
    }
    seq = body_seq(b);
    received = body_crc(b, CLASSIFY_CRC_AT);
    if (!body_crc_fits(b, CLASSIFY_CRC_AT)) {
        send_error(b, ED_ERR_BAD_CRC, ED_SYSEX_CLASSIFY_REQUEST, b->body_len, 0);
        return;
    }
    /* Unpacked over the front of the receive buffer (seq already read): saves a second 784-byte array. */
    ed_unpack7(b->body + ED_SEQ_BYTES, ED_PIXEL_COUNT, b->body);
    if (ed_crc16(header_crc(ED_SYSEX_CLASSIFY_REQUEST, seq), b->body, ED_PIXEL_COUNT) != received) {
        /* The seq bytes were overwritten by pixels: use the copy. */
        send_error_seq(b, ED_ERR_BAD_CRC, ED_SYSEX_CLASSIFY_REQUEST, b->body_len, 0, 1, seq);
        return;
    }
    memset(logits, 0, sizeof logits);
    if (b->io.micros) start = b->io.micros(b->io.ctx);
    if (!b->io.classify) {
        status = ED_STATUS_NO_ENGINE;
    } else if (b->io.classify(b->io.ctx, b->body, logits, &digit) != 0 || digit >= ED_CLASS_COUNT) {
        status = ED_STATUS_ENGINE_FAILED;
    }
    if (b->io.micros) elapsed = b->io.micros(b->io.ctx) - start; /* unsigned: correct across one wrap */
    if (status != ED_STATUS_OK) {
        /* Never forward partial engine output. */
        memset(logits, 0, sizeof logits);
        digit = 0;
    }
    reply_classify(b, seq, status, digit, logits, elapsed);
}

static void handle_protocol_info(ed_board *b)
{
    uint8_t payload[ED_PROTOCOL_INFO_REPLY_PAYLOAD_LEN];
    uint16_t seq;
    const size_t crc_at = ED_SEQ_BYTES;

    if (b->body_len != ED_PROTOCOL_INFO_QUERY_BODY_LEN) {
        send_error(b, ED_ERR_BAD_LENGTH, ED_SYSEX_PROTOCOL_INFO_QUERY, b->body_len, 0);
        return;
    }
    seq = body_seq(b);
    if (!body_crc_fits(b, crc_at) || header_crc(ED_SYSEX_PROTOCOL_INFO_QUERY, seq) != body_crc(b, crc_at)) {
        send_error(b, ED_ERR_BAD_CRC, ED_SYSEX_PROTOCOL_INFO_QUERY, b->body_len, 0);
        return;
    }
    payload[0] = ED_PROTOCOL_VERSION_MAJOR;
    payload[1] = ED_PROTOCOL_VERSION_MINOR;
    payload[2] = (uint8_t)(ED_MAX_SYSEX_BODY_LEN & 0xFFu);
    payload[3] = (uint8_t)(ED_MAX_SYSEX_BODY_LEN >> 8);
    payload[4] = ED_IMAGE_WIDTH;
    payload[5] = ED_IMAGE_HEIGHT;
    payload[6] = ED_CLASS_COUNT;
    send_ed_frame(b, ED_SYSEX_PROTOCOL_INFO_REPLY, seq, payload, sizeof payload);
}

/* ---- parser ------------------------------------------------------------------------------------------------ */

static int sysex_is_known(uint8_t id)
{
    switch (id) {
    case ED_SYSEX_REPORT_FIRMWARE:
    case ED_SYSEX_CAPABILITY_QUERY:
    case ED_SYSEX_ANALOG_MAPPING_QUERY:
    case ED_SYSEX_PIN_STATE_QUERY:
    case ED_SYSEX_CLASSIFY_REQUEST:
    case ED_SYSEX_PROTOCOL_INFO_QUERY:
        return 1;
    default:
        return 0;
    }
}

static void finish_sysex(ed_board *b)
{
    switch (b->command) {
    case ED_SYSEX_REPORT_FIRMWARE:
        send_firmware(b);
        break;
    case ED_SYSEX_CAPABILITY_QUERY:
        send_capabilities(b);
        break;
    case ED_SYSEX_ANALOG_MAPPING_QUERY:
        send_analog_mapping(b);
        break;
    case ED_SYSEX_PIN_STATE_QUERY:
        if (b->body_len != 1u) {
            send_error(b, ED_ERR_BAD_LENGTH, b->command, b->body_len, 0);
        } else if (b->body[0] < b->info->pin_count && b->pin_mode[b->body[0]] != PIN_UNUSABLE) {
            send_pin_state(b, b->body[0]);
        }
        break;
    case ED_SYSEX_CLASSIFY_REQUEST:
        handle_classify(b);
        break;
    case ED_SYSEX_PROTOCOL_INFO_QUERY:
        handle_protocol_info(b);
        break;
    default:
        break; /* unreachable: unknown IDs are rejected when they arrive */
    }
}

static void run_midi(ed_board *b)
{
    uint8_t cmd = b->command;
    uint8_t low = (uint8_t)(cmd & 0x0Fu);
    switch (cmd & 0xF0u) {
    case ED_CMD_DIGITAL_MESSAGE:
        write_port(b, low, (uint8_t)(b->midi_data[0] | (uint8_t)(b->midi_data[1] << 7)));
        return;
    case ED_CMD_REPORT_DIGITAL:
        set_digital_reporting(b, low, b->midi_data[0] != 0u);
        return;
    case ED_CMD_REPORT_ANALOG:
        set_analog_reporting(b, low, b->midi_data[0] != 0u);
        return;
    default:
        break;
    }
    if (cmd == ED_CMD_SET_PIN_MODE) set_pin_mode(b, b->midi_data[0], b->midi_data[1]);
    else if (cmd == ED_CMD_SET_DIGITAL_PIN_VALUE) write_pin(b, b->midi_data[0], b->midi_data[1] ? 1u : 0u);
    /* ANALOG_MESSAGE (PWM write) is accepted and ignored: no PWM support. */
}

static void expect_midi(ed_board *b, uint8_t status, uint8_t data_bytes)
{
    b->parse_state = PARSE_MIDI;
    b->command = status;
    b->midi_need = data_bytes;
    b->midi_have = 0;
}

static void system_reset(ed_board *b)
{
    reset_pins(b, 1);
    b->parse_state = PARSE_IDLE;
}

/* A status byte outside sysex. Unknown ones leave the parser idle, which drops their data bytes. */
static void start_status(ed_board *b, uint8_t byte)
{
    uint8_t high = (uint8_t)(byte & 0xF0u);
    b->parse_state = PARSE_IDLE;
    if (byte == ED_CMD_START_SYSEX) {
        b->parse_state = PARSE_SYSEX_ID;
    } else if (byte == ED_CMD_REPORT_VERSION) {
        send_version(b);
    } else if (byte == ED_CMD_SYSTEM_RESET) {
        system_reset(b);
    } else if (byte == ED_CMD_SET_PIN_MODE || byte == ED_CMD_SET_DIGITAL_PIN_VALUE) {
        expect_midi(b, byte, 2u);
    } else if (high == ED_CMD_DIGITAL_MESSAGE || high == ED_CMD_ANALOG_MESSAGE) {
        expect_midi(b, byte, 2u);
    } else if (high == ED_CMD_REPORT_DIGITAL || high == ED_CMD_REPORT_ANALOG) {
        expect_midi(b, byte, 1u);
    }
}

static void feed_status(ed_board *b, uint8_t byte)
{
    if (b->parse_state == PARSE_SYSEX_ID || b->parse_state == PARSE_SYSEX_BODY) {
        int has_id = b->parse_state == PARSE_SYSEX_BODY;
        b->parse_state = PARSE_IDLE;
        if (byte == ED_CMD_END_SYSEX) {
            if (has_id) finish_sysex(b);
            else send_error(b, ED_ERR_BAD_LENGTH, ED_NO_COMMAND, 0, 0);
            return;
        }
        /* A status byte inside sysex means the frame lost bytes (often its F7): reject it, then treat the byte as
         * the start of the next message so a retried request right behind it is not lost too. */
        send_error(b, ED_ERR_STRAY_STATUS_BYTE, has_id ? b->command : ED_NO_COMMAND, has_id ? b->body_len : 0u, byte);
    }
    /* A MIDI message cut short by a status byte is dropped, as MIDI parsers do. */
    start_status(b, byte);
}

static void feed_data(ed_board *b, uint8_t byte)
{
    switch (b->parse_state) {
    case PARSE_MIDI:
        b->midi_data[b->midi_have++] = byte;
        if (b->midi_have == b->midi_need) {
            b->parse_state = PARSE_IDLE;
            run_midi(b);
        }
        return;
    case PARSE_SYSEX_ID:
        if (sysex_is_known(byte)) {
            b->command = byte;
            b->body_len = 0;
            b->parse_state = PARSE_SYSEX_BODY;
        } else {
            b->parse_state = PARSE_IDLE; /* the rest of the frame is dropped as idle data */
            send_error(b, ED_ERR_UNKNOWN_COMMAND, byte, 0, 0);
        }
        return;
    case PARSE_SYSEX_BODY:
        if (b->body_len >= ED_MAX_SYSEX_BODY_LEN) {
            b->parse_state = PARSE_IDLE;
            send_error(b, ED_ERR_OVERFLOW, b->command, (uint16_t)(b->body_len + 1u), 0);
            return;
        }
        b->body[b->body_len++] = byte;
        return;
    default:
        return; /* data outside any message: line noise or the tail of a rejected frame */
    }
}

/* ---- public ------------------------------------------------------------------------------------------------ */

static ed_init_result check_info(const ed_board_info *info)
{
    uint16_t channels = 0;
    size_t len;
    if (!info->firmware_name) return ED_INIT_BAD_NAME;
    len = strlen(info->firmware_name);
    if (len == 0u || len > ED_FIRMWARE_NAME_MAX) return ED_INIT_BAD_NAME;
    if (info->pin_count > ED_MAX_PINS || (info->pin_count > 0u && !info->pins)) return ED_INIT_BAD_PINS;
    for (uint8_t p = 0; p < info->pin_count; p++) {
        uint8_t ch = info->pins[p].analog_channel;
        if (ch == ED_NO_ANALOG_CHANNEL) continue;
        if (ch >= ED_MAX_ANALOG_CHANNELS || (channels & (1u << ch))) return ED_INIT_BAD_PINS;
        channels = (uint16_t)(channels | (1u << ch));
    }
    return ED_INIT_OK;
}

ed_init_result ed_board_init(ed_board *b, const ed_board_io *io, const ed_board_info *info)
{
    ed_init_result r;
    if (!b || !info) return ED_INIT_NO_BOARD;
    if (!io || !io->write) return ED_INIT_NO_WRITE;
    r = check_info(info);
    if (r != ED_INIT_OK) return r;
    memset(b, 0, sizeof *b);
    b->io = *io;
    b->info = info;
    b->parse_state = PARSE_IDLE;
    for (uint8_t p = 0; p < info->pin_count; p++) {
        if (info->pins[p].analog_channel != ED_NO_ANALOG_CHANNEL) {
            b->analog_channels_present = (uint16_t)(b->analog_channels_present | (1u << info->pins[p].analog_channel));
        }
    }
    reset_pins(b, 0);
    return ED_INIT_OK;
}

void ed_board_announce(ed_board *b)
{
    send_version(b);
    send_firmware(b);
}

void ed_board_feed(ed_board *b, uint8_t byte)
{
    if (byte & 0x80u) feed_status(b, byte);
    else feed_data(b, byte);
}

void ed_board_feed_bytes(ed_board *b, const uint8_t *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++) ed_board_feed(b, bytes[i]);
}

void ed_board_poll(ed_board *b)
{
    if (b->io.digital_read) {
        for (uint8_t port = 0; port < ED_MAX_PORTS; port++) {
            if (b->digital_report_ports & (1u << port)) {
                uint8_t value = read_port(b, port);
                if (value != b->last_port_value[port]) report_port(b, port, value);
            }
        }
    }
    if (b->io.analog_read) {
        for (uint8_t ch = 0; ch < ED_MAX_ANALOG_CHANNELS; ch++) {
            if (b->analog_report_channels & (1u << ch)) {
                send_three(b, (uint8_t)(ED_CMD_ANALOG_MESSAGE | ch), b->io.analog_read(b->io.ctx, ch));
            }
        }
    }
}
