/*
 * The floor for `make bench`: the least work any spec-to-template tool must do for a spec.
 *
 *   floor [--fsync | --syncfs] SPEC BYTES OUTDIR [FILE_BYTES]
 *
 * 1. Parses SPEC to YAML events with libyaml (no document tree, no validation, no rendering).
 * 2. Creates OUTDIR and writes BYTES bytes into it (the number of bytes `ecrsynth synth` writes for
 *    the same spec), split into files of FILE_BYTES (default 500 KB; the last one is shorter).
 *    Plain write(2) and close(2): no temporary file, no rename, no fsync.
 *
 * With --fsync every file is fsync'ed before it is closed. That is not part of the floor; it shows
 * what making each file durable on its own costs on this disk, so run_bench.py passes the same file
 * count as synth.
 *
 * With --syncfs the files are made durable the way `ecrsynth synth` makes its own: all written first,
 * then one syncfs(2) of the output's file system. Not part of the floor either: it shows the floor
 * with the durability synth gives its output (run_bench.py passes synth's file count here too).
 *
 * Prints nothing on success; exits 1 on a parse or I/O error, 64 on a usage error.
 * Build: cc -O2 -o floor bench/floor.c $(pkg-config --cflags --libs yaml-0.1)
 */
#define _GNU_SOURCE /* syncfs */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

static int parse(const char *path, unsigned long *events) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "floor: %s: %s\n", path, strerror(errno));
        return -1;
    }
    yaml_parser_t parser;
    yaml_event_t event;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    int done = 0, rc = 0;
    while (!done) {
        if (!yaml_parser_parse(&parser, &event)) {
            fprintf(stderr, "floor: %s:%lu:%lu: %s\n", path, (unsigned long)parser.problem_mark.line + 1,
                    (unsigned long)parser.problem_mark.column + 1, parser.problem ? parser.problem : "parse error");
            rc = -1;
            break;
        }
        (*events)++;
        done = event.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&event);
    }
    yaml_parser_delete(&parser);
    fclose(f);
    return rc;
}

static int write_all(int fd, const char *buf, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

int main(int argc, char **argv) {
    int sync = 0, syncfs_at_end = 0;
    if (argc > 1 && strcmp(argv[1], "--fsync") == 0) {
        sync = 1;
        argv++;
        argc--;
    } else if (argc > 1 && strcmp(argv[1], "--syncfs") == 0) {
        syncfs_at_end = 1;
        argv++;
        argc--;
    }
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: floor [--fsync | --syncfs] SPEC BYTES OUTDIR [FILE_BYTES]\n");
        return 64;
    }
    unsigned long long total = strtoull(argv[2], NULL, 10);
    const char *outdir = argv[3];
    unsigned long long per_file = argc == 5 ? strtoull(argv[4], NULL, 10) : 500ULL * 1024;
    if (per_file == 0) per_file = 500ULL * 1024;

    unsigned long events = 0;
    if (parse(argv[1], &events) != 0) return 1;

    if (mkdir(outdir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "floor: %s: %s\n", outdir, strerror(errno));
        return 1;
    }
    static char buf[64 * 1024];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = "{\"Type\": \"AWS::ECR::Repository\"}\n"[i % 33];

    size_t dirlen = strlen(outdir);
    char *path = malloc(dirlen + 32);
    if (!path) return 1;
    unsigned long long left = total;
    for (unsigned long k = 0; left > 0 || k == 0; k++) {
        snprintf(path, dirlen + 32, "%s/out-%05lu.json", outdir, k);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) {
            fprintf(stderr, "floor: %s: %s\n", path, strerror(errno));
            return 1;
        }
        unsigned long long n = left < per_file ? left : per_file;
        left -= n;
        while (n > 0) {
            size_t c = n < sizeof buf ? (size_t)n : sizeof buf;
            if (write_all(fd, buf, c) != 0) {
                fprintf(stderr, "floor: %s: %s\n", path, strerror(errno));
                return 1;
            }
            n -= c;
        }
        if (sync && fsync(fd) != 0) {
            fprintf(stderr, "floor: %s: %s\n", path, strerror(errno));
            return 1;
        }
        if (close(fd) != 0) {
            fprintf(stderr, "floor: %s: %s\n", path, strerror(errno));
            return 1;
        }
    }
    free(path);
    if (syncfs_at_end) {
        int dir = open(outdir, O_RDONLY | O_DIRECTORY);
        if (dir < 0 || syncfs(dir) != 0) {
            fprintf(stderr, "floor: %s: %s\n", outdir, strerror(errno));
            return 1;
        }
        close(dir);
    }
    /* keep the parse observable so nothing is optimised away */
    return events == 0 ? 1 : 0;
}
