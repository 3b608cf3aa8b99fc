/*
 * main.c — the edge-digits virtual board: the generated int8 engine and model behind the portable protocol core
 * (firmware-gen/protocol, docs/protocol.md), on a pseudo-terminal instead of a UART. Same engine, model and core
 * as the QEMU and Arduino boards; only this HAL differs:
 *   serial   the master side of a pty; the host opens the slave (printed on stdout, optionally behind --link)
 *   micros   CLOCK_MONOTONIC, so the classify reply carries this machine's inference time
 *   pins     a Nano-like table (D0-D13, LED_BUILTIN = 13, A0-A7 = pins 14-21 on analog channels 0-7); mode
 *            changes and output writes go to the pin log, one JSON object per line, so tests can watch an LED
 *
 * usage: edge-digits-virtual-board [--link <path>] [--pin-log <file>]
 * stdout: exactly one line, "port <slave path>", once the pty is ready (then nothing else).
 * Exits 0 on SIGTERM, SIGINT or SIGHUP, or when the process that started it has gone (removing --link if it still
 * points here), 1 on a setup or I/O failure, 2 on bad arguments. The host starts it in a process group of its own,
 * so a terminal's Ctrl-C reaches only the host, which then stops the board in order; the parent check is what
 * takes the board down when the host cannot (SIGKILL, a crash), so no orphan keeps its pty.
 *
 * Built by build.ts with -std=c99 -D_XOPEN_SOURCE=700 (ptys, symlinks, clock_gettime, sigaction are POSIX, not C99).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ed_board.h"
#include "ed_engine.h"
#include "posix_pty.h"

/* The name comes from build.ts (VIRTUAL_BOARD_FIRMWARE_NAME), so the host and the board cannot disagree on it. */
#ifndef ED_POSIX_FIRMWARE_NAME
#error "build with -DED_POSIX_FIRMWARE_NAME=\"...\" (firmware-gen/targets/posix/build.ts does)"
#endif
#define FIRMWARE_NAME ED_POSIX_FIRMWARE_NAME
#define DIGITAL_PINS 14u
#define ANALOG_PINS 8u
#define PIN_COUNT (DIGITAL_PINS + ANALOG_PINS)
#define ANALOG_BITS 10u
/* Firmata's default sampling interval: input reports go out at most this often. */
#define SAMPLING_INTERVAL_MS 19
/* While no host holds the port, look again this often (Linux reports POLLHUP at once, so poll cannot wait). */
#define NO_HOST_RETRY_MS 5
/* A host that has not read for this long is treated like a UART nobody listens to: the bytes are dropped. */
#define WRITE_STALL_MS 2000
#define PIN_LOG_LINE_MAX 160u

#define MODE_BIT(m) ((uint16_t)(1u << (m)))
#define DIGITAL_MODES (MODE_BIT(ED_MODE_INPUT) | MODE_BIT(ED_MODE_OUTPUT) | MODE_BIT(ED_MODE_PULLUP))
#define ANALOG_MODES (DIGITAL_MODES | MODE_BIT(ED_MODE_ANALOG))

#define DIGITAL_PIN {.modes = DIGITAL_MODES, .analog_channel = ED_NO_ANALOG_CHANNEL, .analog_bits = 0u, .pwm_bits = 0u}
#define ANALOG_PIN(ch) {.modes = ANALOG_MODES, .analog_channel = (ch), .analog_bits = ANALOG_BITS, .pwm_bits = 0u}

static const ed_pin_info pins[PIN_COUNT] = {
    DIGITAL_PIN, DIGITAL_PIN, DIGITAL_PIN, DIGITAL_PIN, DIGITAL_PIN, DIGITAL_PIN, DIGITAL_PIN,
    DIGITAL_PIN, DIGITAL_PIN, DIGITAL_PIN, DIGITAL_PIN, DIGITAL_PIN, DIGITAL_PIN, DIGITAL_PIN,
    ANALOG_PIN(0u), ANALOG_PIN(1u), ANALOG_PIN(2u), ANALOG_PIN(3u),
    ANALOG_PIN(4u), ANALOG_PIN(5u), ANALOG_PIN(6u), ANALOG_PIN(7u),
};

static const ed_board_info board_info = {
    .firmware_name = FIRMWARE_NAME,
    .pins = pins,
    .pin_count = (uint8_t)PIN_COUNT,
};

static const char *const mode_names[16] = {
    "INPUT", "OUTPUT", "ANALOG", "PWM", "SERVO", "SHIFT", "I2C", "ONEWIRE",
    "STEPPER", "ENCODER", "SERIAL", "PULLUP", "MODE_12", "MODE_13", "MODE_14", "MODE_15",
};

typedef struct virtual_board {
    posix_pty pty;
    int host_attached;
    int pin_log_fd;
    struct timespec started;
    uint8_t pin_mode[PIN_COUNT];
    uint8_t pin_value[PIN_COUNT];
} virtual_board;

static volatile sig_atomic_t stop_signal = 0;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

static uint64_t monotonic_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static uint64_t since_start_us(const virtual_board *v)
{
    uint64_t start = (uint64_t)v->started.tv_sec * 1000000u + (uint64_t)v->started.tv_nsec / 1000u;
    return monotonic_us() - start;
}

/* One line per call and one write(2) per line, so a reader never sees half a line (O_APPEND for files). */
static void pin_log(const virtual_board *v, const char *event, uint8_t pin, const char *field, unsigned value, const char *name)
{
    char line[PIN_LOG_LINE_MAX];
    int n;
    if (name) {
        n = snprintf(line, sizeof line, "{\"t_us\":%llu,\"event\":\"%s\",\"pin\":%u,\"%s\":%u,\"name\":\"%s\"}\n",
                     (unsigned long long)since_start_us(v), event, (unsigned)pin, field, value, name);
    } else {
        n = snprintf(line, sizeof line, "{\"t_us\":%llu,\"event\":\"%s\",\"pin\":%u,\"%s\":%u}\n",
                     (unsigned long long)since_start_us(v), event, (unsigned)pin, field, value);
    }
    if (n > 0 && (size_t)n < sizeof line && write(v->pin_log_fd, line, (size_t)n) < 0) {
        /* A closed log must not stop the board; there is nowhere left to report it. */
    }
}

/* ---- HAL callbacks ---------------------------------------------------------------------------------------- */

static void hal_write(void *ctx, const uint8_t *bytes, size_t n)
{
    virtual_board *v = ctx;
    /* Nobody to receive them: drop, as a UART with nothing attached would. */
    if (!v->host_attached) return;
    if (posix_pty_write(&v->pty, bytes, n, WRITE_STALL_MS) > 0u) {
        fprintf(stderr, "edge-digits virtual board: host not reading %s; dropped output\n", v->pty.slave_path);
    }
}

static void hal_set_pin_mode(void *ctx, uint8_t pin, uint8_t mode)
{
    virtual_board *v = ctx;
    if (pin >= PIN_COUNT || v->pin_mode[pin] == mode) return;
    v->pin_mode[pin] = mode;
    pin_log(v, "mode", pin, "mode", mode, mode_names[mode & 15u]);
}

static void hal_digital_write(void *ctx, uint8_t pin, uint8_t value)
{
    virtual_board *v = ctx;
    uint8_t level = value ? 1u : 0u;
    if (pin >= PIN_COUNT || v->pin_value[pin] == level) return;
    v->pin_value[pin] = level;
    pin_log(v, "write", pin, "value", level, NULL);
}

/* Nothing is wired to the virtual pins: inputs read low, pull-ups read high. */
static uint8_t hal_digital_read(void *ctx, uint8_t pin)
{
    const virtual_board *v = ctx;
    return (uint8_t)(pin < PIN_COUNT && v->pin_mode[pin] == ED_MODE_PULLUP);
}

/* Unconnected analog inputs read 0. */
static uint16_t hal_analog_read(void *ctx, uint8_t channel)
{
    (void)ctx;
    (void)channel;
    return 0u;
}

static uint32_t hal_micros(void *ctx)
{
    (void)ctx;
    return (uint32_t)monotonic_us();
}

static int hal_classify(void *ctx, const uint8_t pixels[ED_PIXEL_COUNT], int8_t logits[ED_CLASS_COUNT], uint8_t *digit)
{
    (void)ctx;
    return ed_classify(pixels, logits, digit) == ED_OK ? 0 : -1;
}

/* ---- setup ------------------------------------------------------------------------------------------------ */

static void usage(FILE *to)
{
    fprintf(to, "usage: edge-digits-virtual-board [--link <path>] [--pin-log <file>]\n"
                "  prints 'port <slave pty path>' on stdout, then serves the edge-digits protocol until SIGTERM/SIGINT\n");
}

static int install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: a blocking poll must return so the loop sees the signal. */
    if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGHUP, &sa, NULL) != 0) return -1;
    sa.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &sa, NULL);
}

static int parse_args(int argc, char **argv, const char **link, const char **pin_log_path)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        if ((strcmp(argv[i], "--link") == 0 || strcmp(argv[i], "--pin-log") == 0) && i + 1 < argc) {
            if (strcmp(argv[i], "--link") == 0) *link = argv[i + 1];
            else *pin_log_path = argv[i + 1];
            i++;
            continue;
        }
        fprintf(stderr, "edge-digits virtual board: unknown or incomplete argument '%s'\n", argv[i]);
        usage(stderr);
        return -1;
    }
    return 0;
}

static int serve(virtual_board *v, ed_board *board)
{
    uint8_t buf[1024];
    uint64_t next_sample = monotonic_us() + SAMPLING_INTERVAL_MS * 1000u;
    /* An orphan is re-parented (to init or a subreaper), so a changed parent means the starter has gone. */
    const pid_t parent = getppid();
    while (!stop_signal && getppid() == parent) {
        size_t n = 0;
        uint64_t now = monotonic_us();
        int timeout = now >= next_sample ? 0 : (int)((next_sample - now + 999u) / 1000u);
        posix_pty_event ev = posix_pty_wait(&v->pty, v->host_attached ? timeout : NO_HOST_RETRY_MS, buf, sizeof buf, &n);
        if (ev == POSIX_PTY_FAILED) {
            fprintf(stderr, "edge-digits virtual board: reading %s: %s\n", v->pty.slave_path, strerror(errno));
            return -1;
        }
        if (ev == POSIX_PTY_NO_HOST) {
            v->host_attached = 0;
            /* POLLHUP is level-triggered: sleep instead of spinning until a host opens the port. */
            if (!stop_signal) {
                struct timespec nap = {0, NO_HOST_RETRY_MS * 1000000L};
                nanosleep(&nap, NULL);
            }
            continue;
        }
        /* No announce here: serialport flushes the line right after opening it, so a greeting sent now could lose
         * the firmware report but keep the version, which hangs firmata-io. The host asks for both instead. */
        if (ev != POSIX_PTY_INTERRUPTED) v->host_attached = 1;
        if (ev == POSIX_PTY_DATA) ed_board_feed_bytes(board, buf, n);
        if (monotonic_us() >= next_sample) {
            ed_board_poll(board);
            next_sample = monotonic_us() + SAMPLING_INTERVAL_MS * 1000u;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    static virtual_board v;
    static ed_board board;
    const char *link = NULL;
    const char *pin_log_path = NULL;
    ed_board_io io;
    ed_init_result init;
    int status;

    if (parse_args(argc, argv, &link, &pin_log_path) != 0) return 2;
    if (install_signal_handlers() != 0) {
        fprintf(stderr, "edge-digits virtual board: sigaction: %s\n", strerror(errno));
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &v.started);
    v.pin_log_fd = STDERR_FILENO;
    if (pin_log_path) {
        v.pin_log_fd = open(pin_log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (v.pin_log_fd < 0) {
            fprintf(stderr, "edge-digits virtual board: --pin-log %s: %s\n", pin_log_path, strerror(errno));
            return 1;
        }
    }
    for (uint8_t p = 0; p < PIN_COUNT; p++) v.pin_mode[p] = ED_MODE_INPUT; /* every pin's lowest mode: the core's default */

    io.ctx = &v;
    io.write = hal_write;
    io.set_pin_mode = hal_set_pin_mode;
    io.digital_write = hal_digital_write;
    io.digital_read = hal_digital_read;
    io.analog_read = hal_analog_read;
    io.micros = hal_micros;
    io.classify = hal_classify;
    init = ed_board_init(&board, &io, &board_info);
    if (init != ED_INIT_OK) {
        fprintf(stderr, "edge-digits virtual board: ed_board_init failed (%d)\n", (int)init);
        return 1;
    }
    if (posix_pty_open(&v.pty) != 0) return 1;
    if (link && posix_pty_link(&v.pty, link) != 0) {
        posix_pty_close(&v.pty);
        return 1;
    }
    printf("port %s\n", v.pty.slave_path);
    fflush(stdout);

    status = serve(&v, &board);
    posix_pty_close(&v.pty);
    if (pin_log_path) close(v.pin_log_fd);
    return status == 0 ? 0 : 1;
}
