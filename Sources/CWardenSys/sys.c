#define _GNU_SOURCE
#include "CWardenSys.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/// Marks (cloexec != 0) or closes every descriptor >= `from`. close_range(2) when the kernel has it,
/// a bounded loop otherwise. Async-signal-safe.
static void fds_from(int from, int cloexec) {
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)from, ~0U, cloexec ? CLOSE_RANGE_CLOEXEC : 0U) == 0) return;
#endif
    struct rlimit rl;
    long max = 4096;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 1048576) max = (long)rl.rlim_cur;
    for (long fd = from; fd < max; fd++) {
        if (cloexec) {
            int flags = fcntl((int)fd, F_GETFD);
            if (flags >= 0) fcntl((int)fd, F_SETFD, flags | FD_CLOEXEC);
        } else {
            close((int)fd);
        }
    }
}

static void reset_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        sigaction(sig, &sa, NULL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static void write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) { if (errno == EINTR) continue; return; }
        p += n; len -= (size_t)n;
    }
}

int warden_pipe(int fds[2]) {
    return pipe2(fds, O_CLOEXEC) == 0 ? 0 : errno;
}

int warden_spawn_held(const char *path, char *const argv[], char *const envp[], const char *cwd,
                      int stdin_fd, int stdout_fd, int stderr_fd, pid_t *out_pid, int out_fds[2]) {
    int report[2], go[2];
    if (pipe2(report, O_CLOEXEC) != 0) return errno;
    if (pipe2(go, O_CLOEXEC) != 0) {
        int err = errno;
        close(report[0]); close(report[1]);
        return err;
    }

    pid_t pid = fork();
    if (pid < 0) {
        int err = errno;
        close(report[0]); close(report[1]); close(go[0]); close(go[1]);
        return err;
    }
    if (pid == 0) {
        close(report[0]);
        close(go[1]);
        setpgid(0, 0);
        reset_signals();
        // Held until the parent has registered the group: no instruction of the program runs before that.
        // A parent gone before releasing (EOF) means nobody would ever watch this process: do not run it.
        char token;
        ssize_t n;
        do { n = read(go[0], &token, 1); } while (n < 0 && errno == EINTR);
        if (n != 1) _exit(127);
        // The same descriptor may be asked for twice (stdout and stderr to one pipe): dup2 is idempotent.
        if (dup2(stdin_fd, 0) < 0 || dup2(stdout_fd, 1) < 0 || dup2(stderr_fd, 2) < 0) goto fail;
        if (cwd != NULL && chdir(cwd) != 0) goto fail;
        fds_from(3, 1);
        execve(path, argv, envp);
    fail:;
        int err = errno;
        write_all(report[1], &err, sizeof err);
        _exit(127);
    }
    // Also set the group from the parent so that a signal to the group right after we return cannot
    // race the child's own setpgid.
    setpgid(pid, pid);
    close(report[1]);
    close(go[0]);
    *out_pid = pid;
    out_fds[0] = go[1];
    out_fds[1] = report[0];
    return 0;
}

int warden_spawn_release(pid_t pid, const int fds[2]) {
    char token = 1;
    write_all(fds[0], &token, 1);
    close(fds[0]);
    int child_err = 0;
    ssize_t n;
    do { n = read(fds[1], &child_err, sizeof child_err); } while (n < 0 && errno == EINTR);
    close(fds[1]);
    if (n == (ssize_t)sizeof child_err) {
        int status;
        warden_wait(pid, &status);
        return child_err;
    }
    return 0;
}

int warden_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                 int stdin_fd, int stdout_fd, int stderr_fd, pid_t *out_pid) {
    int fds[2];
    pid_t pid;
    int err = warden_spawn_held(path, argv, envp, cwd, stdin_fd, stdout_fd, stderr_fd, &pid, fds);
    if (err != 0) return err;
    err = warden_spawn_release(pid, fds);
    if (err == 0) *out_pid = pid;
    return err;
}

#define GUARD_MAX_GROUPS 4096

static void guard_main(int input) {
    static pid_t groups[GUARD_MAX_GROUPS];
    int count = 0;
    for (;;) {
        int32_t record;
        ssize_t got = 0;
        while (got < (ssize_t)sizeof record) {
            ssize_t n = read(input, (char *)&record + got, sizeof record - (size_t)got);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) goto parent_gone;
            got += n;
        }
        if (record > 0) {
            if (count < GUARD_MAX_GROUPS) groups[count++] = record;
        } else if (record < 0) {
            for (int i = 0; i < count; i++) {
                if (groups[i] == -record) { groups[i] = groups[--count]; break; }
            }
        }
    }
parent_gone:
    for (int i = 0; i < count; i++) kill(-groups[i], SIGKILL);
    _exit(0);
}

int warden_guard_start(int *out_write_fd, pid_t *out_pid) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return errno;
    pid_t pid = fork();
    if (pid < 0) {
        int err = errno;
        close(fds[0]); close(fds[1]);
        return err;
    }
    if (pid == 0) {
        // Own group, deaf to terminal and service-manager signals aimed at Warden's group: the guard
        // must outlive Warden to do its one job.
        setpgid(0, 0);
        reset_signals();
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        signal(SIGQUIT, SIG_IGN);
        signal(SIGPIPE, SIG_IGN);
        prctl(PR_SET_NAME, "warden-guard", 0, 0, 0);
        if (dup2(fds[0], 0) < 0) _exit(1);
        fds_from(1, 0);
        guard_main(0);
    }
    close(fds[0]);
    *out_write_fd = fds[1];
    *out_pid = pid;
    return 0;
}

pid_t warden_wait(pid_t pid, int *status) {
    pid_t r;
    do { r = waitpid(pid, status, 0); } while (r < 0 && errno == EINTR);
    return r;
}

void warden_ensure_standard_fds(void) {
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
            // open() returns the lowest free descriptor, which is this one.
            if (open("/dev/null", O_RDWR) < 0) return;
        }
    }
}

void warden_tune_malloc(void) {
    if (getenv("MALLOC_MMAP_THRESHOLD_") == NULL) mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    if (getenv("MALLOC_ARENA_MAX") == NULL) mallopt(M_ARENA_MAX, 2);
}

bool warden_malloc_is_mapped(const void *buffer) {
    // glibc keeps each chunk's size word just before the pointer malloc returns; its bit 0x2 (IS_MMAPPED)
    // marks a chunk mapped on its own rather than carved from an arena.
    return (((const size_t *)buffer)[-1] & 0x2) != 0;
}

long warden_open_file_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return -1;
    return (long)rl.rlim_cur;
}

long warden_directory_entries(const char *path) {
    DIR *directory = opendir(path);
    if (directory == NULL) return 0;
    long count = 0;
    struct dirent *entry;
    while ((entry = readdir(directory)) != NULL) {
        const char *name = entry->d_name;
        if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
        count++;
    }
    closedir(directory);
    return count;
}

int warden_contains(const void *haystack, size_t haystack_length, const void *needle, size_t needle_length) {
    return memmem(haystack, haystack_length, needle, needle_length) != NULL;
}

#include <math.h>
#include <stdint.h>
#include <sqlite3.h>

static int digits(const char *s, size_t length, size_t at, size_t count, int *value) {
    if (at + count > length) return 0;
    int v = 0;
    for (size_t i = at; i < at + count; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
    }
    *value = v;
    return 1;
}

int warden_timestamp_from_number(double value, double *out) {
    if (!isfinite(value) || value <= 0) return 0;
    *out = value >= 1e11 ? value / 1000.0 : value;
    return 1;
}
#define from_number warden_timestamp_from_number

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
static long days_from_civil(long y, int m, int d) {
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int warden_parse_timestamp(const char *s, size_t n, int default_offset, double *out) {
    while (n > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r')) { s++; n--; }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) n--;
    if (n == 0 || n > 64) return 0;
    // A plain number: seconds or milliseconds.
    int numeric = 1;
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || (i == 0 && (s[i] == '-' || s[i] == '+')))) { numeric = 0; break; }
    }
    if (numeric) {
        char buffer[65];
        memcpy(buffer, s, n);
        buffer[n] = 0;
        char *end;
        double value = strtod(buffer, &end);
        return *end == 0 ? from_number(value, out) : 0;
    }
    int year, month, day, hour, minute, whole = 0;
    if (!digits(s, n, 0, 4, &year) || n < 16 || s[4] != '-' || !digits(s, n, 5, 2, &month) || s[7] != '-' ||
        !digits(s, n, 8, 2, &day) || (s[10] != 'T' && s[10] != ' ') || !digits(s, n, 11, 2, &hour) || s[13] != ':' ||
        !digits(s, n, 14, 2, &minute)) return 0;
    size_t i = 16;
    double second = 0;
    if (i < n && s[i] == ':') {
        if (!digits(s, n, i + 1, 2, &whole)) return 0;
        second = whole;
        i += 3;
        if (i < n && s[i] == '.') {
            double scale = 0.1;
            for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) { second += (s[i] - '0') * scale; scale /= 10; }
        }
    }
    int has_zone = 0, offset = 0;
    if (i < n) {
        if (s[i] == 'Z' || s[i] == 'z') { has_zone = 1; i++; }
        else if (s[i] == '+' || s[i] == '-') {
            int sign = s[i] == '+' ? 1 : -1, hours, minutes = 0;
            if (!digits(s, n, i + 1, 2, &hours) || hours > 23) return 0;
            size_t next = i + 3;
            if (next < n && s[next] == ':') {
                // A colon must be followed by the minutes.
                if (!digits(s, n, next + 1, 2, &minutes)) return 0;
                next += 3;
            } else if (digits(s, n, next, 2, &minutes)) {
                next += 2;
            }
            if (minutes > 59) return 0;
            offset = sign * (hours * 3600 + minutes * 60);
            has_zone = 1;
            i = next;
        } else return 0;
    }
    if (i != n || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second >= 61) return 0;
    double local = (double)(days_from_civil(year, month, day) * 86400L + hour * 3600L + minute * 60L) + second;
    // Like numbers, nothing at or before 1970 is a timestamp an engine meant (a zeroed or default column).
    return from_number(local - (has_zone ? offset : default_offset), out);
}

static void unixtime(sqlite3_context *context, int argc, sqlite3_value **argv) {
    (void)argc;
    int offset = (int)(intptr_t)sqlite3_user_data(context);
    double value;
    int ok = 0;
    switch (sqlite3_value_type(argv[0])) {
    case SQLITE_INTEGER:
    case SQLITE_FLOAT:
        ok = from_number(sqlite3_value_double(argv[0]), &value);
        break;
    case SQLITE_TEXT:
        ok = warden_parse_timestamp((const char *)sqlite3_value_text(argv[0]), (size_t)sqlite3_value_bytes(argv[0]), offset, &value);
        break;
    default:
        break;
    }
    if (ok) sqlite3_result_double(context, value); else sqlite3_result_null(context);
}

int warden_register_unixtime(void *connection, int default_offset) {
    return sqlite3_create_function_v2((sqlite3 *)connection, "warden_unixtime", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                      (void *)(intptr_t)default_offset, unixtime, NULL, NULL, NULL);
}

int warden_notify(const char *socket_path, const char *message) {
    size_t path_length = strlen(socket_path);
    struct sockaddr_un address;
    if (path_length == 0 || path_length >= sizeof address.sun_path) return EINVAL;
    memset(&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    memcpy(address.sun_path, socket_path, path_length);
    // systemd's convention: a leading '@' names a socket in the abstract namespace, whose name starts with NUL.
    if (address.sun_path[0] == '@') address.sun_path[0] = 0;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno;
    socklen_t length = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_length);
    ssize_t sent;
    do {
        sent = sendto(fd, message, strlen(message), MSG_NOSIGNAL, (struct sockaddr *)&address, length);
    } while (sent < 0 && errno == EINTR);
    int err = sent < 0 ? errno : 0;
    close(fd);
    return err;
}
