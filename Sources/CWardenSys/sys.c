#define _GNU_SOURCE
#include "CWardenSys.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
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

int warden_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                 int stdin_fd, int stdout_fd, int stderr_fd, pid_t *out_pid) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return errno;

    pid_t pid = fork();
    if (pid < 0) {
        int err = errno;
        close(report[0]); close(report[1]);
        return err;
    }
    if (pid == 0) {
        close(report[0]);
        setpgid(0, 0);
        reset_signals();
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
    int child_err = 0;
    ssize_t n;
    do { n = read(report[0], &child_err, sizeof child_err); } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == (ssize_t)sizeof child_err) {
        int status;
        warden_wait(pid, &status);
        return child_err;
    }
    *out_pid = pid;
    return 0;
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

int warden_contains(const void *haystack, size_t haystack_length, const void *needle, size_t needle_length) {
    return memmem(haystack, haystack_length, needle, needle_length) != NULL;
}
