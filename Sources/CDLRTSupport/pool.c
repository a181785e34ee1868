/* A small persistent thread pool for data-parallel loops (see CDLRTSupport.h).
 *
 * Work items of a job are claimed through one 64-bit atomic word holding (generation << 32 |
 * next index): a worker that still looks at an old job can never claim an item of a newer one,
 * and a job's fields are read only after a successful claim, when the caller cannot have moved
 * on (it waits until every item has completed). Idle workers spin ~SPIN_ROUNDS pauses, then sleep
 * on a condition variable; the caller only signals when someone sleeps. */
#define _GNU_SOURCE
#include "CDLRTSupport.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

enum { SPIN_ROUNDS = 4000 };

struct cdlrt_pool {
    int thread_count;
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

static void *worker_main(void *arg) {
    struct cdlrt_pool *pool = arg;
    uint32_t seen = 0;
    for (;;) {
        uint32_t gen = __atomic_load_n(&pool->generation, __ATOMIC_ACQUIRE);
        for (int spin = 0; gen == seen && spin < SPIN_ROUNDS; spin++) {
            if (__atomic_load_n(&pool->stop, __ATOMIC_ACQUIRE)) return NULL;
            cdlrt_cpu_relax();
            gen = __atomic_load_n(&pool->generation, __ATOMIC_ACQUIRE);
        }
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
    if (threads < 1) threads = 1;
    struct cdlrt_pool *pool = calloc(1, sizeof *pool);
    if (!pool) return NULL;
    pool->thread_count = threads;
    pthread_mutex_init(&pool->mutex, NULL);
    pthread_cond_init(&pool->wake, NULL);
    if (threads > 1) {
        pool->threads = calloc((size_t)threads - 1, sizeof(pthread_t));
        if (!pool->threads) { free(pool); return NULL; }
        for (int t = 0; t < threads - 1; t++) {
            if (pthread_create(&pool->threads[t], NULL, worker_main, pool) != 0) {
                pool->thread_count = t + 1;
                cdlrt_pool_destroy(pool);
                return NULL;
            }
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
