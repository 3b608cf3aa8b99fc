/*
 * Host Arduino shim (test code): just enough of the Arduino API, with the Nano 33 BLE core's behaviour where it
 * matters, to run a generated sketch (BoardLink.ino) and its library as a program on this machine.
 *   Serial   USB CDC as ArduinoCore-mbed implements it, on the master side of a pty: begin() ignores the baud;
 *            write() returns 0 and drops the bytes until the host "raises DTR" (a pty has no DTR: the host having
 *            the slave open stands for it); output leaves in packets of at most 64 bytes; input is a 256-byte ring
 *            filled 64-byte packet by packet, and what does not fit waits in the pty (as USB holds packets back).
 *   micros / millis   CLOCK_MONOTONIC since start.
 *   pins     pinMode / digitalWrite / digitalRead / analogRead on a table of 26 pins; every mode change and level
 *            change is logged as one JSON line (the virtual board's pin-log format) to --pin-log or stderr.
 * Pin numbers and LED names are the Nano 33 BLE's (pins_arduino.h). test/arduino-shim/shim.cpp has main().
 */
#ifndef EDGE_DIGITS_ARDUINO_SHIM_H
#define EDGE_DIGITS_ARDUINO_SHIM_H

#include <stddef.h>
#include <stdint.h>

typedef uint8_t byte;
typedef uint8_t pin_size_t;

enum PinMode { INPUT = 0x0, OUTPUT = 0x1, INPUT_PULLUP = 0x2, INPUT_PULLDOWN = 0x3 };
enum PinStatus { LOW = 0, HIGH = 1 };

#define LED_BUILTIN 13u
#define LEDR 22u
#define LEDG 23u
#define LEDB 24u
#define LED_PWR 25u
#define A0 14u
#define NUM_DIGITAL_PINS 21u
#define NUM_ANALOG_INPUTS 8u

class ShimSerial {
 public:
  void begin(unsigned long baud);
  /* The host holds the port open (DTR). */
  explicit operator bool();
  int available();
  int read();
  size_t write(uint8_t byte);
  size_t write(const uint8_t *bytes, size_t n);
};

extern ShimSerial Serial;

unsigned long micros(void);
unsigned long millis(void);
void delay(unsigned long ms);
void pinMode(pin_size_t pin, PinMode mode);
void digitalWrite(pin_size_t pin, PinStatus value);
PinStatus digitalRead(pin_size_t pin);
int analogRead(pin_size_t pin);

/* The sketch's entry points. */
void setup(void);
void loop(void);

#endif /* EDGE_DIGITS_ARDUINO_SHIM_H */
