/* A full disk on demand, for the bot process only: LD_PRELOAD this library and, while the file named
 * by NEXUS_DISKFULL_FLAG exists, every write to a file whose path starts with NEXUS_DISKFULL_PREFIX
 * fails with ENOSPC, exactly what the kernel answers when a disk is full (SQLite then reports
 * SQLITE_FULL). Built and used by sandbox/diskfull.py. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static int disk_full_for(int fd) {
    const char *prefix = getenv("NEXUS_DISKFULL_PREFIX");
    const char *flag = getenv("NEXUS_DISKFULL_FLAG");
    if (prefix == NULL || flag == NULL || access(flag, F_OK) != 0) return 0;
    char link[64], target[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n < 0) return 0;
    target[n] = '\0';
    return strncmp(target, prefix, strlen(prefix)) == 0;
}

typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*writev_fn)(int, const struct iovec *, int);

#define FULL_OR(call) \
    if (disk_full_for(fd)) { errno = ENOSPC; return -1; } \
    return call

ssize_t write(int fd, const void *buf, size_t count) {
    static write_fn real;
    if (!real) real = (write_fn)dlsym(RTLD_NEXT, "write");
    FULL_OR(real(fd, buf, count));
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset) {
    static pwrite_fn real;
    if (!real) real = (pwrite_fn)dlsym(RTLD_NEXT, "pwrite");
    FULL_OR(real(fd, buf, count, offset));
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off_t offset) {
    static pwrite_fn real;
    if (!real) real = (pwrite_fn)dlsym(RTLD_NEXT, "pwrite64");
    FULL_OR(real(fd, buf, count, offset));
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt) {
    static writev_fn real;
    if (!real) real = (writev_fn)dlsym(RTLD_NEXT, "writev");
    FULL_OR(real(fd, iov, iovcnt));
}
