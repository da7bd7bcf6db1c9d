/* A child for the crash-to-respawn benchmark: records when it was exec'd and when it exits, then exits 1
 * after MILLISECONDS (the respawn comparison uses 1,500: LIFETIME_MS in harness/respawn.py).
 * C rather than a shell or Python script so that the child's own startup adds microseconds, not milliseconds. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void stamp(const char *path, const char *what) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    FILE *f = fopen(path, "a");
    if (!f) return;
    fprintf(f, "%s %lld.%09ld\n", what, (long long)ts.tv_sec, ts.tv_nsec);
    fclose(f);
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: crasher STAMP_FILE MILLISECONDS\n"); return 2; }
    stamp(argv[1], "start");
    usleep((useconds_t)atoi(argv[2]) * 1000);
    stamp(argv[1], "exit");
    return 1;
}
