/*
 * posix_pty.h — the virtual board's serial line: the master side of a pseudo-terminal. The host opens the slave
 * side (/dev/pts/N, or a stable symlink to it) like any USB serial port; the board keeps the master for its whole
 * life, so the host may close and reopen the port as often as it likes.
 */
#ifndef POSIX_PTY_H
#define POSIX_PTY_H

#include <stddef.h>
#include <stdint.h>

#define POSIX_PTY_PATH_MAX 256u

typedef struct posix_pty {
    int master;                             /* non-blocking */
    char slave_path[POSIX_PTY_PATH_MAX];
    char link_path[POSIX_PTY_PATH_MAX];     /* empty: no symlink */
} posix_pty;

/* What one wait found on the line. */
typedef enum posix_pty_event {
    POSIX_PTY_IDLE = 0,       /* nothing before the timeout */
    POSIX_PTY_DATA,           /* bytes were read */
    POSIX_PTY_NO_HOST,        /* no process holds the slave open (Linux reports POLLHUP / EIO on the master) */
    POSIX_PTY_INTERRUPTED,    /* a signal arrived */
    POSIX_PTY_FAILED          /* poll or read failed for another reason; errno says why */
} posix_pty_event;

/* Opens a master, unlocks its slave and puts the line in raw mode (no echo, no line editing, 8 bits).
 * Returns 0, or -1 with errno set and a message on stderr. */
int posix_pty_open(posix_pty *p);

/* Points `link` at the slave path, replacing an existing symlink atomically (symlink to a temporary name, then
 * rename), so a restarted board takes over the path its predecessor had. Returns 0 or -1 (message on stderr). */
int posix_pty_link(posix_pty *p, const char *link);

/* Removes the symlink if it still points at this board's slave (a newer board may own it by now); closes the
 * master. */
void posix_pty_close(posix_pty *p);

/* Waits up to timeout_ms for bytes; on POSIX_PTY_DATA, *n bytes are in buf. */
posix_pty_event posix_pty_wait(posix_pty *p, int timeout_ms, uint8_t *buf, size_t cap, size_t *n);

/* Writes all bytes unless no host is attached or the host has not read for stall_ms (a real UART drops bytes
 * nobody receives too). Returns the number of bytes dropped. */
size_t posix_pty_write(posix_pty *p, const uint8_t *bytes, size_t n, int stall_ms);

#endif /* POSIX_PTY_H */
