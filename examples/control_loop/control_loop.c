/* A robot's fixed-rate control loop around libdlrt.so.
 *
 * Every period (1 kHz by default) the loop wakes at an absolute deadline (clock_nanosleep with
 * TIMER_ABSTIME, so timing errors do not accumulate), reads the simulated plant's state into the
 * observation buffer, runs the MLP policy (observation[1,24] → action[1,6]) and applies the action
 * to the plant. Buffers are bound to the context once, before the loop: each step is just
 * dlrt_context_run, which allocates no memory and takes no lock.
 *
 * The program proves that: it interposes malloc/calloc/realloc/memalign/posix_memalign/
 * aligned_alloc (an executable's definitions win symbol lookup, so allocations inside libdlrt.so
 * are counted too) and reports the allocations made in the loop after warm-up. It must be 0; the
 * exit status is 1 otherwise. It also reports inference latency and wake-up jitter (p50/p99/max).
 *
 * usage: control_loop POLICY.dlrt [--steps N] [--rate HZ] [--threads N] [--rt]
 *   --steps N    loop iterations (default 100000: 100 s at 1 kHz)
 *   --rate HZ    loop frequency (default 1000)
 *   --threads N  runtime worker threads including the caller (default 1: best for small models)
 *   --rt         mlockall + SCHED_FIFO priority 80 (needs root or CAP_SYS_NICE/CAP_IPC_LOCK);
 *                warns and continues without them when refused
 *
 * The policy comes from make_policy.py (random weights: the "robot" is a set of six damped joints
 * and the actions are not meant to be good, only realistic in shape and cost):
 *   python make_policy.py policy.onnx && dlrt convert policy.onnx -o policy.dlrt
 *   gcc -std=c99 -O2 control_loop.c -o control_loop $(pkg-config --cflags --libs dlrt)
 */
#define _GNU_SOURCE
#include "dlrt.h"

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

/* ---- allocation counter (glibc) ---------------------------------------------------------- */

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static volatile long allocations = 0;

void *malloc(size_t n) { allocations++; return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { allocations++; return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { allocations++; return __libc_realloc(p, n); }
void *aligned_alloc(size_t alignment, size_t n) { allocations++; return __libc_memalign(alignment, n); }
void *memalign(size_t alignment, size_t n) { allocations++; return __libc_memalign(alignment, n); }
int posix_memalign(void **out, size_t alignment, size_t n) {
    allocations++;
    *out = __libc_memalign(alignment, n);
    return *out ? 0 : ENOMEM;
}

/* ---- the simulated plant: six damped joints tracking targets ------------------------------ */

#define OBS 24
#define ACT 6
#define JOINTS 6

typedef struct plant {
    double pos[JOINTS], vel[JOINTS], target[JOINTS];
    uint64_t rng;
} plant;

static double plant_random(plant *p) { /* xorshift64*, in [-1, 1) */
    p->rng ^= p->rng >> 12;
    p->rng ^= p->rng << 25;
    p->rng ^= p->rng >> 27;
    return (double)((p->rng * 0x2545F4914F6CDD1DULL) >> 11) / (double)(1ULL << 52) - 1.0;
}

static void plant_init(plant *p) {
    memset(p, 0, sizeof *p);
    p->rng = 0x9E3779B97F4A7C15ULL;
    for (int j = 0; j < JOINTS; j++) p->target[j] = 0.5 * plant_random(p);
}

/* Observation: position error, velocity, target, previous action (6 each). */
static void plant_observe(const plant *p, const float *previous_action, float *observation) {
    for (int j = 0; j < JOINTS; j++) {
        observation[j] = (float)(p->pos[j] - p->target[j]);
        observation[JOINTS + j] = (float)p->vel[j];
        observation[2 * JOINTS + j] = (float)p->target[j];
        observation[3 * JOINTS + j] = previous_action[j];
    }
}

/* Semi-implicit Euler step of a spring-damper joint driven by the action (a torque in (-1, 1)). */
static void plant_step(plant *p, const float *action, double dt, long step) {
    for (int j = 0; j < JOINTS; j++) {
        double acc = 20.0 * action[j] - 4.0 * p->vel[j] - 10.0 * p->pos[j];
        p->vel[j] += dt * acc;
        p->pos[j] += dt * p->vel[j];
    }
    if (step % 500 == 499) /* a new set-point every 0.5 s at 1 kHz */
        for (int j = 0; j < JOINTS; j++) p->target[j] = 0.5 * plant_random(p);
}

/* ---- timing helpers ----------------------------------------------------------------------- */

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void add_ns(struct timespec *t, int64_t ns) {
    t->tv_nsec += ns;
    while (t->tv_nsec >= 1000000000L) {
        t->tv_nsec -= 1000000000L;
        t->tv_sec++;
    }
}

static int64_t timespec_ns(const struct timespec *t) { return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec; }

static int compare_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void report(const char *what, int64_t *v, long n) {
    qsort(v, (size_t)n, sizeof *v, compare_i64);
    printf("%s p50 %.1f us, p99 %.1f us, max %.1f us\n", what, v[n / 2] / 1e3, v[(n * 99) / 100] / 1e3,
           v[n - 1] / 1e3);
}

static long parse_long(const char *flag, const char *text, long lo, long hi) {
    char *end = NULL;
    errno = 0;
    long v = text ? strtol(text, &end, 10) : 0;
    if (!text || errno || end == text || *end || v < lo || v > hi) {
        fprintf(stderr, "%s needs an integer in [%ld, %ld], got %s\n", flag, lo, hi, text ? text : "nothing");
        exit(2);
    }
    return v;
}

#define TRY(call)                                                                                  \
    do {                                                                                           \
        dlrt_status s_ = (call);                                                                   \
        if (s_ != DLRT_OK) {                                                                       \
            fprintf(stderr, "%s failed: %s: %s\n", #call, dlrt_status_name(s_), dlrt_last_error()); \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

int main(int argc, char **argv) {
    const char *path = NULL;
    long steps = 100000, rate = 1000, threads = 1;
    int realtime = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--steps")) steps = parse_long("--steps", i + 1 < argc ? argv[++i] : NULL, 1, 100000000);
        else if (!strcmp(argv[i], "--rate")) rate = parse_long("--rate", i + 1 < argc ? argv[++i] : NULL, 1, 100000);
        else if (!strcmp(argv[i], "--threads")) threads = parse_long("--threads", i + 1 < argc ? argv[++i] : NULL, 1, 256);
        else if (!strcmp(argv[i], "--rt")) realtime = 1;
        else if (argv[i][0] != '-' && !path) path = argv[i];
        else {
            fprintf(stderr, "usage: %s POLICY.dlrt [--steps N] [--rate HZ] [--threads N] [--rt]\n", argv[0]);
            return 2;
        }
    }
    if (!path) {
        fprintf(stderr, "usage: %s POLICY.dlrt [--steps N] [--rate HZ] [--threads N] [--rt]\n", argv[0]);
        return 2;
    }

    int rc = 1;
    dlrt_model *model = NULL;
    dlrt_context *ctx = NULL;
    int64_t *latency = NULL, *jitter = NULL;

    /* ---- setup: everything that allocates happens here, before the loop ---- */
    TRY(dlrt_model_load_file(path, &model));
    size_t in_index = 0, out_index = 0;
    TRY(dlrt_model_input_index(model, "observation", &in_index));
    TRY(dlrt_model_output_index(model, "action", &out_index));

    dlrt_context_options options;
    dlrt_context_options_init(&options);
    options.num_threads = (uint32_t)threads;
    TRY(dlrt_context_create(model, &options, &ctx));

    static float observation[OBS], action[ACT], previous_action[ACT];
    const int64_t in_shape[2] = {1, OBS};
    TRY(dlrt_context_set_input(ctx, in_index, DLRT_FLOAT32, in_shape, 2, observation, sizeof observation));
    TRY(dlrt_context_set_output(ctx, out_index, action, sizeof action));

    latency = malloc((size_t)steps * sizeof *latency);
    jitter = malloc((size_t)steps * sizeof *jitter);
    if (!latency || !jitter) {
        fprintf(stderr, "out of memory for %ld steps of statistics\n", steps);
        goto done;
    }
    memset(latency, 0, (size_t)steps * sizeof *latency); /* touch the pages now, not in the loop */
    memset(jitter, 0, (size_t)steps * sizeof *jitter);

    if (realtime) {
        if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
            fprintf(stderr, "warning: mlockall: %s (continuing without locked memory)\n", strerror(errno));
        struct sched_param sp = {.sched_priority = 80};
        if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0)
            fprintf(stderr, "warning: SCHED_FIFO: %s (continuing with the default scheduler)\n", strerror(errno));
    }

    plant robot;
    plant_init(&robot);

    /* Warm-up: the first runs plan shapes and touch the arena and weights. */
    for (int w = 0; w < 20; w++) {
        plant_observe(&robot, previous_action, observation);
        TRY(dlrt_context_run(ctx));
    }
    printf("dlrt %s control loop: observation[1,%d] -> action[1,%d], %ld thread(s), arena %zu bytes\n",
           dlrt_version(), OBS, ACT, threads, dlrt_context_arena_bytes(ctx));
    fflush(stdout);

    /* ---- the loop: no allocation, no lock, no I/O ---- */
    const int64_t period = 1000000000LL / rate;
    long overruns = 0, failed_step = -1;
    dlrt_status failed_status = DLRT_OK;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    add_ns(&next, period);
    const long allocations_before = allocations;
    for (long step = 0; step < steps; step++) {
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR) {
        }
        const int64_t woke = now_ns();
        jitter[step] = woke - timespec_ns(&next);

        plant_observe(&robot, previous_action, observation);
        const int64_t t0 = now_ns();
        dlrt_status status = dlrt_context_run(ctx);
        const int64_t t1 = now_ns();
        latency[step] = t1 - t0;
        if (status != DLRT_OK) { /* leave the loop; report outside it (printing may allocate) */
            failed_step = step;
            failed_status = status;
            break;
        }
        plant_step(&robot, action, 1.0 / (double)rate, step);
        memcpy(previous_action, action, sizeof action);

        add_ns(&next, period);
        if (now_ns() > timespec_ns(&next)) overruns++; /* this step ran into the next period */
    }
    const long loop_allocations = allocations - allocations_before;

    if (failed_step >= 0) {
        fprintf(stderr, "step %ld: dlrt_context_run failed: %s: %s\n", failed_step, dlrt_status_name(failed_status),
                dlrt_last_error());
        goto done;
    }
    printf("%ld steps at %ld Hz (%.2f s)\n", steps, rate, (double)steps / (double)rate);
    report("  inference latency:", latency, steps);
    report("  wake-up jitter:   ", jitter, steps);
    printf("  period overruns: %ld\n", overruns);
    double error = 0;
    for (int j = 0; j < JOINTS; j++) error += robot.pos[j] > robot.target[j] ? robot.pos[j] - robot.target[j]
                                                                              : robot.target[j] - robot.pos[j];
    printf("  plant: mean |position error| %.3f, last action [%.3f %.3f %.3f %.3f %.3f %.3f]\n", error / JOINTS,
           action[0], action[1], action[2], action[3], action[4], action[5]);
    printf("heap allocations in the loop after warm-up: %ld%s\n", loop_allocations,
           loop_allocations == 0 ? "" : "  <-- the hot path allocated");
    rc = loop_allocations == 0 ? 0 : 1;
done:
    dlrt_context_destroy(ctx);
    dlrt_model_destroy(model);
    free(latency);
    free(jitter);
    return rc;
}
