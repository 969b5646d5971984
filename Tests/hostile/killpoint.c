// LD_PRELOAD shim for CrashSafetyTests: kills the process with SIGKILL just before its N-th rename() or
// unlink() (N from ECRSYNTH_KILL_AT; 0 or unset: never), so a test can stop `ecrsynth synth` exactly
// between two steps of an output rewrite, such as right after the manifest is renamed into place and
// before the first stale file is removed. With ECRSYNTH_KILL_COUNT set to a file name, the number of
// rename()/unlink() calls made is written there at exit.
//   build: cc -shared -fPIC -O2 -o killpoint.so Tests/hostile/killpoint.c -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static long calls = 0;
static long target = -1;

static void report(void) {
    const char *path = getenv("ECRSYNTH_KILL_COUNT");
    if (!path) return;
    FILE *f = fopen(path, "w");
    if (f) { fprintf(f, "%ld\n", calls); fclose(f); }
}

static void step(void) {
    if (target < 0) {
        const char *t = getenv("ECRSYNTH_KILL_AT");
        target = t ? atol(t) : 0;
        atexit(report);
    }
    calls += 1;
    if (target > 0 && calls == target) raise(SIGKILL);
}

int rename(const char *from, const char *to) {
    static int (*real)(const char *, const char *);
    if (!real) real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    step();
    return real(from, to);
}

int unlink(const char *path) {
    static int (*real)(const char *);
    if (!real) real = (int (*)(const char *))dlsym(RTLD_NEXT, "unlink");
    step();
    return real(path);
}
