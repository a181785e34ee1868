/* Context options for real-time callers: idle policy of worker threads and their CPU affinity.
 * Built with gcc -std=c99 -Wall -Werror (see Makefile).
 *
 * usage: test_options MODEL.dlrt INPUT.bin
 *   INPUT.bin  float32 data for the model's single input (batch dim resolved to the file size)
 *
 * Checks: option defaults; every idle policy with and without pinning gives results bit-identical
 * to a single-threaded run; a pinned worker runs only on its CPU (/proc/self/task/N/status);
 * idle workers burn no CPU with DLRT_IDLE_SLEEP / SPIN_THEN_SLEEP and do with DLRT_IDLE_SPIN
 * (/proc/self/task/N/stat); the version-0.1 16-byte options struct is still accepted; bad option
 * values give DLRT_ERROR_INVALID_ARGUMENT with a message naming the field and value.
 */
#define _GNU_SOURCE
#include "dlrt.h"
#include "check.h"

#include <dirent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>



static const dlrt_model *g_model;
static float *g_input;
static int64_t g_shape[8];
static size_t g_rank, g_input_bytes, g_output_count;

/* Thread ids of this process (up to `cap`); returns how many. */
static int list_tasks(long *ids, int cap) {
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    if (!d) return 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (e->d_name[0] != '.' && n < cap) ids[n++] = atol(e->d_name);
    closedir(d);
    return n;
}

/* The one thread id in `after` that is not in `before`, or -1. */
static long new_task(const long *before, int nb, const long *after, int na) {
    long found = -1;
    for (int i = 0; i < na; i++) {
        int old = 0;
        for (int j = 0; j < nb; j++) old |= after[i] == before[j];
        if (!old) {
            if (found >= 0) return -1;
            found = after[i];
        }
    }
    return found;
}

/* utime + stime of thread `tid`, in clock ticks; -1 if unreadable. */
static long task_cpu_ticks(long tid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/self/task/%ld/stat", tid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* comm may contain spaces: fields start after ") " */
    if (!p) return -1;
    long utime = 0, stime = 0;
    /* after ')': state(3) ppid … utime is field 14, stime 15 (1-based) */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &utime, &stime) != 2) return -1;
    return utime + stime;
}

/* The Cpus_allowed_list line of thread `tid` (into `out`). */
static int task_cpus(long tid, char *out, size_t size) {
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/self/task/%ld/status", tid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int ok = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "Cpus_allowed_list:", 18) == 0) {
            char *v = line + 18;
            while (*v == ' ' || *v == '\t') v++;
            v[strcspn(v, "\n")] = 0;
            size_t len = strlen(v) < size - 1 ? strlen(v) : size - 1;
            memcpy(out, v, len);
            out[len] = 0;
            ok = 1;
        }
    }
    fclose(f);
    return ok;
}

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* Runs once with `options` into `out` (first output, `out_bytes`); returns the status. */
static dlrt_status run_once(const dlrt_context_options *options, void *out, size_t out_bytes, dlrt_context **keep) {
    dlrt_context *ctx = NULL;
    dlrt_status st = dlrt_context_create(g_model, options, &ctx);
    if (st != DLRT_OK) return st;
    st = dlrt_context_set_input(ctx, 0, DLRT_FLOAT32, g_shape, g_rank, g_input, g_input_bytes);
    for (int r = 0; st == DLRT_OK && r < 5; r++) st = dlrt_context_run(ctx);
    const void *data = NULL;
    const int64_t *shape = NULL;
    size_t rank = 0, bytes = 0;
    if (st == DLRT_OK) st = dlrt_context_get_output(ctx, 0, &data, &bytes, &shape, &rank);
    if (st == DLRT_OK) {
        if (bytes != out_bytes) st = DLRT_ERROR_SHAPE;
        else memcpy(out, data, bytes);
    }
    if (keep && st == DLRT_OK) *keep = ctx;
    else dlrt_context_destroy(ctx);
    return st;
}

static void expect_invalid(const dlrt_context_options *options, const char *needle, const char *what) {
    dlrt_context *ctx = NULL;
    dlrt_status st = dlrt_context_create(g_model, options, &ctx);
    CHECK(st == DLRT_ERROR_INVALID_ARGUMENT && ctx == NULL, "%s: status %s", what, dlrt_status_name(st));
    CHECK(strstr(dlrt_last_error(), needle) != NULL, "%s: message '%s' lacks '%s'", what, dlrt_last_error(), needle);
    dlrt_context_destroy(ctx);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: test_options MODEL.dlrt INPUT.bin\n");
        return 2;
    }
    dlrt_model *model = NULL;
    if (dlrt_model_load_file(argv[1], &model) != DLRT_OK) {
        fprintf(stderr, "load: %s\n", dlrt_last_error());
        return 1;
    }
    g_model = model;
    FILE *f = fopen(argv[2], "rb");
    if (!f) { fprintf(stderr, "cannot open %s\n", argv[2]); return 1; }
    fseek(f, 0, SEEK_END);
    g_input_bytes = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    g_input = malloc(g_input_bytes);
    if (!g_input || fread(g_input, 1, g_input_bytes, f) != g_input_bytes) { fprintf(stderr, "read failed\n"); return 1; }
    fclose(f);
    dlrt_tensor_info info;
    dlrt_model_input_info(model, 0, &info);
    g_rank = info.rank;
    size_t per_item = sizeof(float);
    for (size_t d = 1; d < g_rank; d++) { g_shape[d] = info.shape[d]; per_item *= (size_t)info.shape[d]; }
    g_shape[0] = (int64_t)(g_input_bytes / per_item);
    g_output_count = dlrt_model_output_count(model);

    /* Defaults. */
    dlrt_context_options o;
    memset(&o, 0xAB, sizeof o);
    dlrt_context_options_init(&o);
    CHECK(o.struct_size == sizeof o && o.idle == DLRT_IDLE_SPIN_THEN_SLEEP && o.spin_microseconds == 0 &&
          o.worker_cpus == NULL && o.worker_cpu_count == 0 && o.reserved == 0, "options defaults");

    /* Reference: one thread. */
    dlrt_context *probe = NULL;
    CHECK(dlrt_context_create(model, NULL, &probe) == DLRT_OK, "create: %s", dlrt_last_error());
    dlrt_context_set_input(probe, 0, DLRT_FLOAT32, g_shape, g_rank, g_input, g_input_bytes);
    CHECK(dlrt_context_run(probe) == DLRT_OK, "run: %s", dlrt_last_error());
    const void *data; const int64_t *shape; size_t rank, out_bytes = 0;
    dlrt_context_get_output(probe, 0, &data, &out_bytes, &shape, &rank);
    dlrt_context_destroy(probe);
    void *reference = malloc(out_bytes), *got = malloc(out_bytes);
    CHECK(run_once(NULL, reference, out_bytes, NULL) == DLRT_OK, "reference run: %s", dlrt_last_error());

    /* The CPUs we may use: pin the worker to the last one. */
    cpu_set_t allowed;
    sched_getaffinity(0, sizeof allowed, &allowed);
    uint32_t last_cpu = 0;
    for (int c = 0; c < CPU_SETSIZE; c++) if (CPU_ISSET(c, &allowed)) last_cpu = (uint32_t)c;
    char expected_list[32];
    snprintf(expected_list, sizeof expected_list, "%u", last_cpu);

    const uint32_t idles[3] = {DLRT_IDLE_SPIN_THEN_SLEEP, DLRT_IDLE_SPIN, DLRT_IDLE_SLEEP};
    const char *names[3] = {"spin-then-sleep", "spin", "sleep"};
    for (int p = 0; p < 3; p++) {
        for (int pinned = 0; pinned < 2; pinned++) {
            dlrt_context_options_init(&o);
            o.num_threads = 2;
            o.idle = idles[p];
            if (pinned) { o.worker_cpus = &last_cpu; o.worker_cpu_count = 1; }
            long before[256], after[256];
            int nb = list_tasks(before, 256);
            dlrt_context *ctx = NULL;
            memset(got, 0xFF, out_bytes);
            dlrt_status st = run_once(&o, got, out_bytes, &ctx);
            CHECK(st == DLRT_OK, "%s pinned=%d: %s", names[p], pinned, dlrt_last_error());
            if (st != DLRT_OK) continue;
            CHECK(memcmp(got, reference, out_bytes) == 0, "%s pinned=%d: not bit-identical to 1 thread", names[p], pinned);
            int na = list_tasks(after, 256);
            long worker = new_task(before, nb, after, na);
            CHECK(worker > 0, "%s pinned=%d: expected exactly one new worker thread (%d → %d threads)", names[p], pinned, nb, na);
            if (worker > 0 && pinned) {
                char cpus[256] = "";
                task_cpus(worker, cpus, sizeof cpus);
                CHECK(strcmp(cpus, expected_list) == 0, "%s: worker runs on CPUs '%s', expected '%s'", names[p], cpus, expected_list);
            }
            if (worker > 0 && !pinned) {
                /* Idle CPU use over 300 ms after the last run (clock ticks, usually 10 ms). */
                sleep_ms(20);
                long t0 = task_cpu_ticks(worker);
                sleep_ms(300);
                long t1 = task_cpu_ticks(worker);
                long hz = sysconf(_SC_CLK_TCK);
                long used_ms = (t1 - t0) * 1000 / (hz > 0 ? hz : 100);
                if (idles[p] == DLRT_IDLE_SPIN)
                    CHECK(used_ms >= 30, "spin: idle worker used %ld ms of CPU in 300 ms, expected it to keep spinning", used_ms);
                else
                    CHECK(used_ms <= 30, "%s: idle worker used %ld ms of CPU in 300 ms, expected it to sleep", names[p], used_ms);
                printf("idle %-16s worker CPU while idle: %3ld ms / 300 ms\n", names[p], used_ms);
            }
            dlrt_context_destroy(ctx);
        }
    }

    /* Version 0.1's 16-byte struct: accepted, new fields defaulted. */
    struct { uint32_t struct_size, num_threads; uint64_t max_arena_bytes; } v01 = {16, 2, 0};
    memset(got, 0xFF, out_bytes);
    CHECK(run_once((const dlrt_context_options *)(const void *)&v01, got, out_bytes, NULL) == DLRT_OK,
          "v0.1 options: %s", dlrt_last_error());
    CHECK(memcmp(got, reference, out_bytes) == 0, "v0.1 options: not bit-identical");

    /* Bad values name the field. */
    dlrt_context_options_init(&o);
    o.struct_size = 20;
    expect_invalid(&o, "struct_size is 20", "struct_size");
    dlrt_context_options_init(&o);
    o.idle = 7;
    expect_invalid(&o, "idle is 7", "idle");
    dlrt_context_options_init(&o);
    o.spin_microseconds = 2000000;
    expect_invalid(&o, "spin_microseconds is 2000000", "spin");
    dlrt_context_options_init(&o);
    o.reserved = 1;
    expect_invalid(&o, "reserved", "reserved");
    dlrt_context_options_init(&o);
    o.num_threads = 2;
    o.worker_cpu_count = 1;
    expect_invalid(&o, "worker_cpus", "NULL worker_cpus");
    uint32_t bad[2] = {last_cpu, 100000};
    o.worker_cpus = bad;
    o.worker_cpu_count = 2;
    expect_invalid(&o, "worker_cpus[1] = 100000", "CPU out of range");

    free(reference);
    free(got);
    free(g_input);
    dlrt_model_destroy(model);
    printf("test_options: %d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
