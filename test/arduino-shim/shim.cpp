/*
 * The host Arduino shim's runtime (see Arduino.h): main() opens a pty, prints "port <slave>" on stdout (the virtual
 * board's contract, so src/device/virtual-board.ts helpers apply), then runs setup() once and loop() forever,
 * servicing the USB-serial model between passes. Exits 0 on SIGTERM / SIGINT / SIGHUP.
 *
 * usage: arduino-shim [--link <path>] [--pin-log <file>]
 */
#include "Arduino.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern "C" {
#include "posix_pty.h"
}

namespace {

const size_t kPacket = 64;    /* USB full-speed bulk packet */
const size_t kRing = 256;     /* ArduinoCore-mbed USBCDC receive buffer */
const int kPins = 26;

posix_pty pty;
volatile sig_atomic_t stop_signal = 0;
uint8_t ring[kRing];
size_t ring_head = 0, ring_len = 0;
bool dtr = false;
unsigned long dropped_before_dtr = 0;
int pin_log_fd = STDERR_FILENO;
struct timespec started;
int pin_mode[kPins];
int pin_level[kPins];

uint64_t now_us() {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)(t.tv_sec - started.tv_sec) * 1000000u + (uint64_t)(t.tv_nsec / 1000) - (uint64_t)(started.tv_nsec / 1000);
}

void log_pin(const char *event, int pin, const char *field, int value, const char *name) {
  char line[160];
  int n = name ? snprintf(line, sizeof line, "{\"t_us\":%llu,\"event\":\"%s\",\"pin\":%d,\"%s\":%d,\"name\":\"%s\"}\n", (unsigned long long)now_us(), event, pin, field, value, name)
               : snprintf(line, sizeof line, "{\"t_us\":%llu,\"event\":\"%s\",\"pin\":%d,\"%s\":%d}\n", (unsigned long long)now_us(), event, pin, field, value);
  if (n > 0 && (size_t)n < sizeof line && write(pin_log_fd, line, (size_t)n) < 0) { /* nowhere to report it */ }
}

/* DTR: the host has the slave open. Linux reports POLLHUP on the master while no process does. */
void update_dtr() {
  struct pollfd p = {pty.master, POLLIN, 0};
  if (poll(&p, 1, 0) < 0) return;
  dtr = (p.revents & POLLHUP) == 0;
}

/* Moves whole 64-byte packets (or what is there) from the pty into the ring while a packet fits. */
void service_rx() {
  while (kRing - ring_len >= kPacket) {
    uint8_t packet[kPacket];
    ssize_t n = read(pty.master, packet, kPacket);
    if (n <= 0) return;
    for (ssize_t i = 0; i < n; i++) ring[(ring_head + ring_len++) % kRing] = packet[i];
  }
}

void on_signal(int sig) { stop_signal = sig; }

}  // namespace

ShimSerial Serial;

void ShimSerial::begin(unsigned long baud) { (void)baud; }

ShimSerial::operator bool() {
  update_dtr();
  return dtr;
}

int ShimSerial::available() {
  service_rx();
  return (int)ring_len;
}

int ShimSerial::read() {
  if (ring_len == 0) service_rx();
  if (ring_len == 0) return -1;
  uint8_t b = ring[ring_head];
  ring_head = (ring_head + 1) % kRing;
  ring_len--;
  return b;
}

size_t ShimSerial::write(uint8_t byte) { return write(&byte, 1); }

size_t ShimSerial::write(const uint8_t *bytes, size_t n) {
  update_dtr();
  if (!dtr) {
    dropped_before_dtr += n;
    return 0;
  }
  size_t sent = 0;
  while (sent < n) {
    size_t packet = n - sent < kPacket ? n - sent : kPacket;
    if (posix_pty_write(&pty, bytes + sent, packet, 2000) > 0) return sent; /* host gone or not reading */
    sent += packet;
  }
  return sent;
}

unsigned long micros(void) { return (unsigned long)now_us(); }
unsigned long millis(void) { return (unsigned long)(now_us() / 1000u); }

void delay(unsigned long ms) {
  struct timespec t = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};
  nanosleep(&t, nullptr);
}

void pinMode(pin_size_t pin, PinMode mode) {
  static const char *const names[] = {"INPUT", "OUTPUT", "PULLUP", "PULLDOWN"};
  static const int firmata[] = {0, 1, 11, 0};
  if (pin >= kPins || pin_mode[pin] == (int)mode) return;
  pin_mode[pin] = (int)mode;
  log_pin("mode", pin, "mode", firmata[mode & 3], names[mode & 3]);
}

void digitalWrite(pin_size_t pin, PinStatus value) {
  int level = value == HIGH ? 1 : 0;
  if (pin >= kPins || pin_level[pin] == level) return;
  pin_level[pin] = level;
  log_pin("write", pin, "value", level, nullptr);
}

/* Nothing is wired: inputs read low, pull-ups high. */
PinStatus digitalRead(pin_size_t pin) { return pin < kPins && pin_mode[pin] == INPUT_PULLUP ? HIGH : LOW; }

int analogRead(pin_size_t pin) {
  (void)pin;
  return 0;
}

int main(int argc, char **argv) {
  const char *link = nullptr;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--link") == 0 && i + 1 < argc) link = argv[++i];
    else if (strcmp(argv[i], "--pin-log") == 0 && i + 1 < argc) {
      pin_log_fd = open(argv[++i], O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (pin_log_fd < 0) { fprintf(stderr, "arduino-shim: --pin-log: %s\n", strerror(errno)); return 1; }
    } else {
      fprintf(stderr, "usage: arduino-shim [--link <path>] [--pin-log <file>]\n");
      return 2;
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &started);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  for (int p = 0; p < kPins; p++) pin_mode[p] = -1;
  if (posix_pty_open(&pty) != 0) return 1;
  if (link && posix_pty_link(&pty, link) != 0) return 1;
  printf("port %s\n", pty.slave_path);
  fflush(stdout);
  setup();
  while (!stop_signal) {
    loop();
    /* Idle: wait for the host rather than spin (the sketch's loop() returns at once when nothing came). */
    if (ring_len == 0) {
      struct pollfd p = {pty.master, POLLIN, 0};
      if (poll(&p, 1, 1) > 0 && (p.revents & POLLHUP)) {
        struct timespec nap = {0, 2000000L};
        nanosleep(&nap, nullptr);
      }
    }
  }
  if (dropped_before_dtr) fprintf(stderr, "arduino-shim: %lu bytes written before the host raised DTR were dropped\n", dropped_before_dtr);
  posix_pty_close(&pty);
  return 0;
}
