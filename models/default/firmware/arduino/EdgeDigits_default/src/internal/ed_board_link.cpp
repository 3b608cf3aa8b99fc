/* Copied by edge-digits firmware-gen from firmware-gen/targets/arduino/ed_board_link.cpp; edit the original, not this copy. */
#include "ed_prefix.h" /* added by edge-digits firmware-gen: per-model symbol names */
/*
 * ed_board_link.cpp — the Arduino HAL of the edge-digits protocol core: the same ed_board.c / ed_codec.c the virtual
 * board and the QEMU board run (docs/protocol.md), on an Arduino's Serial, pins and micros(). Written for the
 * Arduino Nano 33 BLE (ArduinoCore-mbed) and portable to any core with the usual Arduino API.
 *
 * What the Nano 33 BLE's USB serial does, and how this HAL lives with it (shared/arduino-core/README.md):
 *   - Serial.begin() returns at once and the baud is ignored; write() returns 0 and drops the bytes until the host
 *     raises DTR (opens the port). The core's replies are then simply lost, like a UART nobody listens to — the
 *     host's handshake asks for everything it needs, so no announcement is sent.
 *   - write(buf, n) sends 64-byte packets, each blocking until the USB transfer is done: the core stages at most
 *     ED_TX_CHUNK (64) bytes per write call, so each call is one packet.
 *   - Input arrives in a 256-byte ring: the loop drains it into the core in chunks, every pass, before doing
 *     anything else; a 904-byte classify request spans several passes (USB holds the rest back meanwhile).
 * Pins the host (johnny-five) can drive, numbered as the Arduino core numbers them:
 *   0-13  D0-D13: INPUT, OUTPUT, PULLUP (LED_BUILTIN = 13, active high)
 *   14-21 A0-A7: the same, plus ANALOG on channels 0-7 (10 bits, the core's default analogRead resolution)
 *   22-24 LEDR, LEDG, LEDB: OUTPUT only; the RGB LED is active low, so this HAL inverts: 1 = lit, as for pin 13
 *
 * Generated into every Arduino library by edge-digits firmware-gen; the library's per-model symbol names come
 * from ed_prefix.h, so two model libraries can share one sketch.
 */
#include <Arduino.h>

#include "ed_library.h" /* the public header of this library (declares the BoardLink entry points) */
#include "ed_prefix.h"
#include "ed_board.h"
#include "ed_engine.h"

namespace {

const uint8_t kDigitalPins = 14;
const uint8_t kAnalogPins = 8;
const uint8_t kFirstAnalogPin = 14;
const uint8_t kFirstRgbPin = 22;
const uint8_t kPinCount = 25;
/* Firmata's default sampling interval: input reports go out at most this often. */
const unsigned long kSamplingIntervalMs = 19;
const size_t kReadChunk = 64;

#define ED_MODE_BIT(m) ((uint16_t)(1u << (m)))
const uint16_t kDigitalModes = ED_MODE_BIT(ED_MODE_INPUT) | ED_MODE_BIT(ED_MODE_OUTPUT) | ED_MODE_BIT(ED_MODE_PULLUP);
const uint16_t kAnalogModes = kDigitalModes | ED_MODE_BIT(ED_MODE_ANALOG);
const uint16_t kLedModes = ED_MODE_BIT(ED_MODE_OUTPUT);

ed_pin_info pins[kPinCount];
ed_board_info board_info;
ed_board board;
ed_board_io io;
bool started = false;
unsigned long next_sample_ms = 0;

bool is_rgb(uint8_t pin) { return pin >= kFirstRgbPin && pin < kPinCount; }

void hal_write(void *ctx, const uint8_t *bytes, size_t n) {
  (void)ctx;
  /* Returns 0 (dropped) while the host has not raised DTR: nobody to hear it. */
  Serial.write(bytes, n);
}

void hal_set_pin_mode(void *ctx, uint8_t pin, uint8_t mode) {
  (void)ctx;
  if (pin >= kPinCount) return;
  switch (mode) {
    case ED_MODE_OUTPUT: pinMode(pin, OUTPUT); break;
    case ED_MODE_PULLUP: pinMode(pin, INPUT_PULLUP); break;
    case ED_MODE_INPUT: pinMode(pin, INPUT); break;
    default: break; /* ANALOG: analogRead() sets the pin up itself */
  }
}

void hal_digital_write(void *ctx, uint8_t pin, uint8_t value) {
  (void)ctx;
  if (pin >= kPinCount) return;
  const bool high = is_rgb(pin) ? value == 0 : value != 0;
  digitalWrite(pin, high ? HIGH : LOW);
}

uint8_t hal_digital_read(void *ctx, uint8_t pin) {
  (void)ctx;
  return pin < kFirstRgbPin && digitalRead(pin) == HIGH ? 1u : 0u;
}

uint16_t hal_analog_read(void *ctx, uint8_t channel) {
  (void)ctx;
  if (channel >= kAnalogPins) return 0u;
  return (uint16_t)analogRead(kFirstAnalogPin + channel);
}

uint32_t hal_micros(void *ctx) {
  (void)ctx;
  return (uint32_t)micros();
}

int hal_classify(void *ctx, const uint8_t pixels[ED_PIXEL_COUNT], int8_t logits[ED_CLASS_COUNT], uint8_t *digit) {
  (void)ctx;
  return ed_classify(pixels, logits, digit) == ED_OK ? 0 : -1;
}

void describe_pins() {
  for (uint8_t p = 0; p < kPinCount; p++) {
    pins[p].analog_channel = ED_NO_ANALOG_CHANNEL;
    pins[p].analog_bits = 0u;
    pins[p].pwm_bits = 0u;
    if (p < kDigitalPins) {
      pins[p].modes = kDigitalModes;
    } else if (p < kFirstAnalogPin + kAnalogPins) {
      pins[p].modes = kAnalogModes;
      pins[p].analog_channel = (uint8_t)(p - kFirstAnalogPin);
      pins[p].analog_bits = 10u;
    } else {
      pins[p].modes = kLedModes;
    }
  }
  board_info.firmware_name = ED_LIBRARY_FIRMWARE_NAME;
  board_info.pins = pins;
  board_info.pin_count = kPinCount;
}

}  // namespace

extern "C" int ed_board_link_begin(unsigned long baud) {
  Serial.begin(baud);
  describe_pins();
  /* The RGB pins' only mode is OUTPUT, which the core reports as their state from the start: make it so, unlit. */
  for (uint8_t p = kFirstRgbPin; p < kPinCount; p++) {
    pinMode(p, OUTPUT);
    hal_digital_write(nullptr, p, 0u);
  }
  io.ctx = nullptr;
  io.write = hal_write;
  io.set_pin_mode = hal_set_pin_mode;
  io.digital_write = hal_digital_write;
  io.digital_read = hal_digital_read;
  io.analog_read = hal_analog_read;
  io.micros = hal_micros;
  io.classify = hal_classify;
  started = ed_board_init(&board, &io, &board_info) == ED_INIT_OK;
  next_sample_ms = millis() + kSamplingIntervalMs;
  return started ? 0 : -1;
}

extern "C" void ed_board_link_poll(void) {
  if (!started) return;
  uint8_t chunk[kReadChunk];
  int available = Serial.available();
  while (available > 0) {
    size_t n = 0;
    while (n < sizeof chunk && available > 0) {
      const int c = Serial.read();
      if (c < 0) break;
      chunk[n++] = (uint8_t)c;
      available--;
    }
    if (n == 0) break;
    ed_board_feed_bytes(&board, chunk, n);
    available = Serial.available();
  }
  const unsigned long now = millis();
  if ((long)(now - next_sample_ms) >= 0) {
    ed_board_poll(&board);
    next_sample_ms = now + kSamplingIntervalMs;
  }
}
