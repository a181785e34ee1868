/* A small persistent thread pool for data-parallel loops (see CDLRTSupport.h).
 *
 * Work items of a job are claimed through one 64-bit atomic word holding (generation << 32 |
 * next index): a worker that still looks at an old job can never claim an item of a newer one,
 * and a job's fields are read only after a successful claim, when the caller cannot have moved
 * on (it waits until every item has completed). Idle workers spin ~SPIN_ROUNDS pauses, then sleep
 * on a condition variable; the caller only signals when someone sleeps. How long workers spin
 * (never, for a time, forever) and which CPUs they run on are pool options
 * (dlrt_context_options.idle / spin_microseconds / worker_cpus). */
#define _GNU_SOURCE
#include "CDLRTSupport.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* Pauses between two clock reads while spinning (~0.6 µs on Zen 5: 4000 pauses ≈ 96 µs). */
enum { SPIN_CHECK = 32 };

struct cdlrt_pool {
    int thread_count;
    int idle;             /* CDLRT_IDLE_* */
    uint64_t spin_ns;     /* CDLRT_IDLE_SPIN_THEN_SLEEP: spin this long before sleeping */
    pthread_t *threads;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    uint64_t state;       /* generation << 32 | next index (atomic) */
    uint32_t generation;  /* last generation published (atomic) */
    int sleepers;         /* workers waiting on `wake` (under mutex) */
    int stop;             /* (atomic) */
    size_t completed;     /* items finished in the current job (atomic) */
    cdlrt_task_fn fn;
    void *context;
    size_t count;
};

/* Claims and runs items of generation `gen` until none are left. */
static void drain(struct cdlrt_pool *pool, uint32_t gen) {
    for (;;) {
        uint64_t s = __atomic_load_n(&pool->state, __ATOMIC_ACQUIRE);
        if ((uint32_t)(s >> 32) != gen) return;
        uint32_t index = (uint32_t)s;
        /* Atomic: a worker still in this loop may read `count` while the caller publishes the
         * next job (a C data race otherwise; found by ThreadSanitizer). */
        if (index >= __atomic_load_n(&pool->count, __ATOMIC_RELAXED)) return;
        if (!__atomic_compare_exchange_n(&pool->state, &s, s + 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) continue;
        pool->fn(pool->context, index, pool->count);
        __atomic_add_fetch(&pool->completed, 1, __ATOMIC_RELEASE);
    }
}

static uint64_t monotonic_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Spins until a generation other than `seen` is published, `stop` is set, or (unless the pool
 * spins forever) spin_ns have passed; returns the generation last read. */
static uint32_t spin_for_work(struct cdlrt_pool *pool, uint32_t seen) {
    uint32_t gen = __atomic_load_n(&pool->generation, __ATOMIC_ACQUIRE);
    if (pool->idle == CDLRT_IDLE_SLEEP) return gen;
    uint64_t deadline = pool->idle == CDLRT_IDLE_SPIN ? UINT64_MAX : monotonic_ns() + pool->spin_ns;
    while (gen == seen) {
        for (int i = 0; i < SPIN_CHECK && gen == seen; i++) {
            cdlrt_cpu_relax();
            gen = __atomic_load_n(&pool->generation, __ATOMIC_ACQUIRE);
        }
        if (gen != seen || __atomic_load_n(&pool->stop, __ATOMIC_ACQUIRE)) break;
        if (deadline != UINT64_MAX && monotonic_ns() >= deadline) break;
    }
    return gen;
}

static void *worker_main(void *arg) {
    struct cdlrt_pool *pool = arg;
    uint32_t seen = 0;
    for (;;) {
        if (__atomic_load_n(&pool->stop, __ATOMIC_ACQUIRE)) return NULL;
        uint32_t gen = spin_for_work(pool, seen);
        if (gen == seen) {
            pthread_mutex_lock(&pool->mutex);
            pool->sleepers++;
            while ((gen = __atomic_load_n(&pool->generation, __ATOMIC_ACQUIRE)) == seen &&
                   !__atomic_load_n(&pool->stop, __ATOMIC_ACQUIRE))
                pthread_cond_wait(&pool->wake, &pool->mutex);
            pool->sleepers--;
            pthread_mutex_unlock(&pool->mutex);
        }
        if (__atomic_load_n(&pool->stop, __ATOMIC_ACQUIRE)) return NULL;
        seen = gen;
        drain(pool, gen);
    }
}

cdlrt_pool *cdlrt_pool_create(int threads) {
    cdlrt_pool_options options = {threads, CDLRT_IDLE_SPIN_THEN_SLEEP, 0, NULL, 0};
    return cdlrt_pool_create_with(&options, NULL);
}

cdlrt_pool *cdlrt_pool_create_with(const cdlrt_pool_options *options, int *out_failed_worker) {
    int threads = options->threads < 1 ? 1 : options->threads;
    if (out_failed_worker) *out_failed_worker = -1;
    struct cdlrt_pool *pool = calloc(1, sizeof *pool);
    if (!pool) return NULL;
    pool->thread_count = 1;
    pool->idle = options->idle;
    pool->spin_ns = (uint64_t)(options->spin_microseconds ? options->spin_microseconds : 100) * 1000u;
    pthread_mutex_init(&pool->mutex, NULL);
    pthread_cond_init(&pool->wake, NULL);
    if (threads > 1) {
        pool->threads = calloc((size_t)threads - 1, sizeof(pthread_t));
        if (!pool->threads) { cdlrt_pool_destroy(pool); return NULL; }
        for (int t = 0; t < threads - 1; t++) {
            pthread_attr_t attr;
            pthread_attr_init(&attr);
            if (options->cpus && options->cpu_count > 0) {
                /* Pinned before the thread starts: it never runs anywhere else. */
                cpu_set_t set;
                CPU_ZERO(&set);
                uint32_t cpu = options->cpus[(size_t)t % options->cpu_count];
                if (cpu >= CPU_SETSIZE || pthread_attr_setaffinity_np(&attr, sizeof set, (CPU_SET(cpu, &set), &set)) != 0) {
                    pthread_attr_destroy(&attr);
                    if (out_failed_worker) *out_failed_worker = t;
                    cdlrt_pool_destroy(pool);
                    return NULL;
                }
            }
            int rc = pthread_create(&pool->threads[t], &attr, worker_main, pool);
            pthread_attr_destroy(&attr);
            if (rc != 0) {
                if (out_failed_worker) *out_failed_worker = t;
                cdlrt_pool_destroy(pool);
                return NULL;
            }
            pool->thread_count = t + 2;
        }
    }
    return pool;
}

void cdlrt_pool_run(cdlrt_pool *pool, cdlrt_task_fn fn, void *context, size_t count) {
    if (count == 0) return;
    if (pool->thread_count == 1 || count == 1) {
        for (size_t i = 0; i < count; i++) fn(context, i, count);
        return;
    }
    pool->fn = fn;
    pool->context = context;
    __atomic_store_n(&pool->count, count, __ATOMIC_RELAXED);
    __atomic_store_n(&pool->completed, 0, __ATOMIC_RELAXED);
    uint32_t gen = __atomic_load_n(&pool->generation, __ATOMIC_RELAXED) + 1;
    __atomic_store_n(&pool->state, (uint64_t)gen << 32, __ATOMIC_RELEASE);
    __atomic_store_n(&pool->generation, gen, __ATOMIC_RELEASE);
    pthread_mutex_lock(&pool->mutex);
    if (pool->sleepers > 0) pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    drain(pool, gen);
    while (__atomic_load_n(&pool->completed, __ATOMIC_ACQUIRE) < count) cdlrt_cpu_relax();
}

void cdlrt_pool_destroy(cdlrt_pool *pool) {
    if (!pool) return;
    __atomic_store_n(&pool->stop, 1, __ATOMIC_RELEASE);
    pthread_mutex_lock(&pool->mutex);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    for (int t = 0; t < pool->thread_count - 1; t++) pthread_join(pool->threads[t], NULL);
    pthread_mutex_destroy(&pool->mutex);
    pthread_cond_destroy(&pool->wake);
    free(pool->threads);
    free(pool);
}

int cdlrt_cpu_allowed(uint32_t cpu) {
    cpu_set_t set;
    if (cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof set, &set) != 0) return 0;
    return CPU_ISSET(cpu, &set) ? 1 : 0;
}

void cdlrt_allowed_cpus(char *buffer, size_t size) {
    cpu_set_t set;
    if (size == 0) return;
    buffer[0] = 0;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return;
    size_t used = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE && used + 24 < size;) {
        if (!CPU_ISSET(cpu, &set)) { cpu++; continue; }
        int last = cpu;
        while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, &set)) last++;
        int n = last == cpu ? snprintf(buffer + used, size - used, "%s%d", used ? "," : "", cpu)
                            : snprintf(buffer + used, size - used, "%s%d-%d", used ? "," : "", cpu, last);
        if (n < 0) break;
        used += (size_t)n;
        cpu = last + 1;
    }
}
