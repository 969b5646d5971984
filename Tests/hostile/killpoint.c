// LD_PRELOAD shim for CrashSafetyTests: kills the process with SIGKILL just before its N-th rename() or
// unlink() (N from ECRSYNTH_KILL_AT; 0 or unset: never), so a test can stop `ecrsynth synth` exactly
// between two steps of an output rewrite, such as right after the manifest is renamed into place and
// before the first stale file is removed. With ECRSYNTH_KILL_COUNT set to a file name, the number of
// rename()/unlink() calls made is written there at exit. With ECRSYNTH_TRACE set to a file name, each
// rename(), unlink() and syncfs() is appended to it as a line ("rename TO", "unlink PATH", "syncfs"),
// in the order they are called.
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

static void trace(const char *what, const char *path) {
    static FILE *out;
    static int opened;
    if (!opened) {
        const char *t = getenv("ECRSYNTH_TRACE");
        out = t ? fopen(t, "a") : NULL;
        opened = 1;
    }
    if (!out) return;
    fprintf(out, "%s%s%s\n", what, path ? " " : "", path ? path : "");
    fflush(out);
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
    trace("rename", to);
    return real(from, to);
}

int unlink(const char *path) {
    static int (*real)(const char *);
    if (!real) real = (int (*)(const char *))dlsym(RTLD_NEXT, "unlink");
    step();
    trace("unlink", path);
    return real(path);
}

int syncfs(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "syncfs");
    trace("syncfs", NULL);
    return real(fd);
}
