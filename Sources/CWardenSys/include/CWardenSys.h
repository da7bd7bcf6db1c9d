#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/// Fork and exec `path` as the leader of a new process group.
///
/// In the child, between fork and exec, only async-signal-safe calls are made: it resets every signal
/// disposition and the signal mask (Warden ignores SIGTERM/SIGINT for its own graceful shutdown, and
/// ignored dispositions survive exec), moves the standard descriptors into place, changes directory, marks
/// every other descriptor close-on-exec, and execs. A failed exec is reported through a close-on-exec pipe,
/// so the caller learns ENOENT/EACCES synchronously instead of seeing an exit code 127.
///
/// Returns 0 and stores the pid, or an errno value.
int warden_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                 int stdin_fd, int stdout_fd, int stderr_fd, pid_t *out_pid);

/// `warden_spawn` in two steps: the child is forked into its own group and waits before its program runs, so
/// that the caller can register the group (with the orphan guard) first; `warden_spawn_release` lets it exec
/// and reports as `warden_spawn` does. `out_fds` are the two descriptors the release takes and closes. A child
/// whose parent dies before the release exits without running its program.
int warden_spawn_held(const char *path, char *const argv[], char *const envp[], const char *cwd,
                      int stdin_fd, int stdout_fd, int stderr_fd, pid_t *out_pid, int out_fds[2]);
int warden_spawn_release(pid_t pid, const int fds[2]);

/// Start the orphan guard: a forked child in its own process group that holds the read end of a pipe.
/// Warden writes the process group ids of its engines into the write end (positive to add, negative to
/// remove, 4-byte records). When Warden dies for any reason, SIGKILL included, the kernel closes the
/// write end, the guard reads EOF and SIGKILLs every registered group, then exits. This covers the
/// engine's grandchildren too, which PR_SET_PDEATHSIG (tied to one thread of the parent, and to one
/// process of the child) cannot.
///
/// Returns 0 and stores the write end (close-on-exec) and the guard's pid, or an errno value.
int warden_guard_start(int *out_write_fd, pid_t *out_pid);

/// waitpid(pid, status, 0), retried on EINTR. Stopped children are not reported (no WUNTRACED).
/// Returns the pid, or -1 with errno set.
pid_t warden_wait(pid_t pid, int *status);

/// Pipe with both ends close-on-exec. Returns 0 or errno.
int warden_pipe(int fds[2]);

/// Opens /dev/null on any of descriptors 0, 1 and 2 that is closed (Warden started by a careless parent),
/// so that no pipe or socket Warden opens later lands there and gets confused with standard I/O.
void warden_ensure_standard_fds(void);

/// Pins glibc malloc for a long-running process: large buffers (128 KiB and up: a /proc/net/tcp read during
/// a connection flood, an HTTP body) always come from mmap and go back to the kernel when freed, and at most
/// two arenas are kept. glibc's default raises the mmap threshold to the largest buffer freed, after which
/// such buffers are carved from the arenas and leave holes; with one arena per thread Warden's resident size
/// then grows for hours while its live heap stays flat (docs/MEMORY-NOTES.md).
/// A setting the environment already makes (`MALLOC_MMAP_THRESHOLD_`, `MALLOC_ARENA_MAX`) is left alone.
void warden_tune_malloc(void);

/// Whether a buffer malloc returned was mapped on its own (glibc's IS_MMAPPED chunk bit): a fact about that
/// one buffer, unlike process-wide counters that other threads move meanwhile.
bool warden_malloc_is_mapped(const void *buffer);

/// The soft limit on open descriptors (getrlimit's RLIMIT_NOFILE, /proc/self/limits' "Max open files"),
/// or -1 when it is unlimited.
long warden_open_file_limit(void);

/// How many entries other than `.` and `..` the directory has (/proc/PID/fd: open descriptors, the one this
/// count opens included), or 0 when it cannot be read.
long warden_directory_entries(const char *path);

/// memmem(3), a GNU extension the Glibc module does not expose: 1 when `needle` occurs in `haystack`.
int warden_contains(const void *haystack, size_t haystack_length, const void *needle, size_t needle_length);

/// Unix seconds from a timestamp as engines write it: ISO-8601 or SQL text (`T` or space, fraction and zone
/// optional), or a number (seconds; above 1e11, milliseconds). Text without a zone is taken at
/// `default_offset` seconds east of UTC. Returns 1 and stores the value, or 0 for no timestamp.
/// One implementation for Swift (JSON values) and SQL (`warden_unixtime`), so both read alike.
int warden_parse_timestamp(const char *text, size_t length, int default_offset, double *out);

/// The numeric half of the same rule: seconds, or milliseconds above 1e11; nothing at or before 1970.
int warden_timestamp_from_number(double value, double *out);

/// Registers `warden_unixtime(x)` on a SQLite connection (an `sqlite3 *`), deterministic, in C so that an
/// aggregate over 100,000 rows costs microseconds per row, not a Swift call with boxed values.
int warden_register_unixtime(void *sqlite_connection, int default_offset);

/// SHA-256 of `length` bytes into `out` (32 bytes).
void warden_sha256(const void *data, size_t length, uint8_t out[32]);

/// HMAC-SHA256 (RFC 2104) of `data` under `key` into `out` (32 bytes): webhook signatures.
void warden_hmac_sha256(const void *key, size_t key_length, const void *data, size_t length, uint8_t out[32]);

/// Sends one datagram of systemd's notify protocol (`READY=1`, `WATCHDOG=1`, `STOPPING=1`) to the socket
/// NOTIFY_SOCKET names; a leading '@' is the abstract namespace. Returns 0 or an errno value.
int warden_notify(const char *socket_path, const char *message);

/// The git revision the binary was built from, or "unknown" for a build other than scripts/package's.
const char *warden_build_revision(void);
/// When it was built, as UTC ISO 8601 (`SOURCE_DATE_EPOCH` when set, for a reproducible build), or "unknown".
const char *warden_build_date(void);
