#include "posix_pty.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

/* cfmakeraw is not POSIX; these are the flags it clears and sets. Set on the master, they apply to the one
 * terminal both ends share, so bytes pass unchanged even before the host configures its side. */
static int make_raw(int fd)
{
    struct termios t;
    if (tcgetattr(fd, &t) != 0) return -1;
    t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXOFF | IXANY);
    t.c_oflag &= ~(tcflag_t)OPOST;
    t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    t.c_cflag |= (tcflag_t)(CS8 | CREAD | CLOCAL);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    return tcsetattr(fd, TCSANOW, &t);
}

int posix_pty_open(posix_pty *p)
{
    const char *name;
    int flags;
    memset(p, 0, sizeof *p);
    p->master = posix_openpt(O_RDWR | O_NOCTTY);
    if (p->master < 0) {
        fprintf(stderr, "edge-digits virtual board: posix_openpt: %s\n", strerror(errno));
        return -1;
    }
    if (grantpt(p->master) != 0 || unlockpt(p->master) != 0 || (name = ptsname(p->master)) == NULL) {
        fprintf(stderr, "edge-digits virtual board: grantpt/unlockpt/ptsname: %s\n", strerror(errno));
        close(p->master);
        return -1;
    }
    if (strlen(name) >= sizeof p->slave_path) {
        fprintf(stderr, "edge-digits virtual board: slave path '%s' is longer than %u bytes\n", name, POSIX_PTY_PATH_MAX - 1u);
        close(p->master);
        return -1;
    }
    strcpy(p->slave_path, name);
    flags = fcntl(p->master, F_GETFL);
    if (flags < 0 || fcntl(p->master, F_SETFL, flags | O_NONBLOCK) != 0 || make_raw(p->master) != 0) {
        fprintf(stderr, "edge-digits virtual board: configuring %s: %s\n", p->slave_path, strerror(errno));
        close(p->master);
        return -1;
    }
    return 0;
}

int posix_pty_link(posix_pty *p, const char *link)
{
    char tmp[POSIX_PTY_PATH_MAX + 32u];
    struct stat st;
    if (strlen(link) == 0 || strlen(link) >= sizeof p->link_path) {
        fprintf(stderr, "edge-digits virtual board: --link path must be 1..%u bytes\n", POSIX_PTY_PATH_MAX - 1u);
        return -1;
    }
    /* Only ever replace a symlink: a mistyped --link must not clobber a regular file. */
    if (lstat(link, &st) == 0 && !S_ISLNK(st.st_mode)) {
        fprintf(stderr, "edge-digits virtual board: --link %s exists and is not a symlink; not replacing it\n", link);
        return -1;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", link, (long)getpid());
    unlink(tmp);
    if (symlink(p->slave_path, tmp) != 0 || rename(tmp, link) != 0) {
        fprintf(stderr, "edge-digits virtual board: linking %s -> %s: %s\n", link, p->slave_path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    strcpy(p->link_path, link);
    return 0;
}

void posix_pty_close(posix_pty *p)
{
    if (p->link_path[0] != '\0') {
        char target[POSIX_PTY_PATH_MAX];
        ssize_t n = readlink(p->link_path, target, sizeof target - 1u);
        if (n > 0) {
            target[n] = '\0';
            if (strcmp(target, p->slave_path) == 0) unlink(p->link_path);
        }
        p->link_path[0] = '\0';
    }
    if (p->master >= 0) close(p->master);
    p->master = -1;
}

posix_pty_event posix_pty_wait(posix_pty *p, int timeout_ms, uint8_t *buf, size_t cap, size_t *n)
{
    struct pollfd pfd;
    int r;
    *n = 0;
    pfd.fd = p->master;
    pfd.events = POLLIN;
    pfd.revents = 0;
    r = poll(&pfd, 1, timeout_ms);
    if (r < 0) return errno == EINTR ? POSIX_PTY_INTERRUPTED : POSIX_PTY_FAILED;
    if (r == 0) return POSIX_PTY_IDLE;
    if (pfd.revents & POLLIN) {
        ssize_t got = read(p->master, buf, cap);
        if (got > 0) {
            *n = (size_t)got;
            return POSIX_PTY_DATA;
        }
        if (got < 0 && errno == EINTR) return POSIX_PTY_INTERRUPTED;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return POSIX_PTY_IDLE;
        /* Linux: read on the master fails with EIO once the last slave descriptor is closed. */
        if (got < 0 && errno != EIO) return POSIX_PTY_FAILED;
        return POSIX_PTY_NO_HOST;
    }
    if (pfd.revents & (POLLHUP | POLLERR)) return POSIX_PTY_NO_HOST;
    if (pfd.revents & POLLNVAL) {
        errno = EBADF;
        return POSIX_PTY_FAILED;
    }
    return POSIX_PTY_IDLE;
}

#define WRITE_POLL_MS 5

size_t posix_pty_write(posix_pty *p, const uint8_t *bytes, size_t n, int stall_ms)
{
    int waited = 0;
    while (n > 0u) {
        ssize_t w = write(p->master, bytes, n);
        if (w > 0) {
            bytes += w;
            n -= (size_t)w;
            waited = 0;
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && waited < stall_ms) {
            struct pollfd pfd;
            pfd.fd = p->master;
            pfd.events = POLLOUT;
            pfd.revents = 0;
            if (poll(&pfd, 1, WRITE_POLL_MS) > 0 && (pfd.revents & (POLLHUP | POLLERR))) return n;
            waited += WRITE_POLL_MS;
            continue;
        }
        /* EIO: the host closed the port; EINTR: we are being stopped; a stall: nobody reads. */
        return n;
    }
    return 0u;
}
