/* A child for the hang-detection benchmark: alive but silent. It records when it was exec'd, touches a
 * heartbeat file (and prints a BEAT line) every BEAT_MS milliseconds BEATS times, plus a random 0 to 9 more so
 * that the silence falls at any phase of the watcher's polling, records the moment of its last heartbeat,
 * then stays alive without a sound until it is stopped. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void stamp(const char *path, const char *what, double when) {
    FILE *f = fopen(path, "a");
    if (!f) return;
    fprintf(f, "%s %.6f\n", what, when);
    fclose(f);
}

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: hanger STAMP_FILE HEARTBEAT_FILE BEAT_MS BEATS\n"); return 2; }
    stamp(argv[1], "start", now());
    srand((unsigned)getpid() ^ (unsigned)(now() * 1e6));
    int beats = atoi(argv[4]) + rand() % 10;
    double last = 0;
    for (int beat = 0; beat < beats; beat++) {
        int fd = open(argv[2], O_WRONLY | O_CREAT, 0644);
        if (fd >= 0) { futimens(fd, NULL); close(fd); }
        last = now();
        printf("BEAT %d\n", beat);
        fflush(stdout);
        usleep((useconds_t)atoi(argv[3]) * 1000);
    }
    stamp(argv[1], "silent", last);
    for (;;) pause();
}
