/* POSIX threads: creation and join, a mutex-protected counter, a condition
 * variable passing items through a bounded buffer, thread-local storage,
 * a barrier, pthread_once, a detached thread and a thread that ends with
 * pthread_exit. Every figure printed is the same whatever the interleaving. */
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORKERS 4
#define INCREMENTS 20000
#define ITEMS 2000
#define SLOTS 8

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static __thread int tls_value = 7;
static int *tls_seen[WORKERS];

static void *count(void *arg) {
    intptr_t me = (intptr_t)arg;
    tls_value = 100 + (int)me;
    tls_seen[me] = &tls_value;
    for (int i = 0; i < INCREMENTS; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }
    /* The heap is shared: a block malloc'd here is freed by main. */
    long *r = malloc(sizeof *r);
    *r = tls_value;
    return r;
}

/* A bounded buffer: one producer, one consumer. */
static pthread_mutex_t buf_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static int buf[SLOTS], head, tail, used;

static void *produce(void *arg) {
    (void)arg;
    for (int i = 1; i <= ITEMS; i++) {
        pthread_mutex_lock(&buf_lock);
        while (used == SLOTS)
            pthread_cond_wait(&not_full, &buf_lock);
        buf[tail] = i;
        tail = (tail + 1) % SLOTS;
        used++;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&buf_lock);
    }
    return NULL;
}

static void *consume(void *arg) {
    long long *sum = arg;
    for (int i = 1; i <= ITEMS; i++) {
        pthread_mutex_lock(&buf_lock);
        while (used == 0)
            pthread_cond_wait(&not_empty, &buf_lock);
        *sum += (long long)buf[head] * i;
        head = (head + 1) % SLOTS;
        used--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&buf_lock);
    }
    return NULL;
}

static pthread_barrier_t barrier;
static int arrived[WORKERS];
static int all_seen[WORKERS];

static void *meet(void *arg) {
    intptr_t me = (intptr_t)arg;
    __atomic_store_n(&arrived[me], 1, __ATOMIC_SEQ_CST);
    pthread_barrier_wait(&barrier);
    int n = 0;
    for (int i = 0; i < WORKERS; i++)
        n += __atomic_load_n(&arrived[i], __ATOMIC_SEQ_CST);
    all_seen[me] = n;
    return NULL;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs;
static void init_once(void) { once_runs++; }
static void *call_once(void *arg) {
    (void)arg;
    pthread_once(&once, init_once);
    return NULL;
}

static sem_t done;
static int detached_ran;
static void *detached(void *arg) {
    (void)arg;
    detached_ran = 1;
    sem_post(&done);
    return NULL;
}

static void *leave_early(void *arg) {
    (void)arg;
    pthread_exit((void *)(intptr_t)42);
    return NULL;
}

int main(void) {
    pthread_t t[WORKERS];
    int local;
    for (intptr_t i = 0; i < WORKERS; i++)
        if (pthread_create(&t[i], NULL, count, (void *)i) != 0) {
            puts("pthread_create failed");
            return 1;
        }
    long tls_sum = 0;
    for (int i = 0; i < WORKERS; i++) {
        void *r;
        pthread_join(t[i], &r);
        tls_sum += *(long *)r;
        free(r);
    }
    printf("counter: %ld (expected %d)\n", counter, WORKERS * INCREMENTS);
    printf("thread-local values: sum %ld, main's still %d\n", tls_sum, tls_value);
    int distinct = 1;
    for (int i = 0; i < WORKERS; i++)
        for (int j = i + 1; j < WORKERS; j++)
            distinct &= tls_seen[i] != tls_seen[j];
    printf("each thread's tls_value at its own address: %s\n", distinct ? "yes" : "no");
    (void)local;

    pthread_t p, c;
    long long sum = 0;
    pthread_create(&c, NULL, consume, &sum);
    pthread_create(&p, NULL, produce, NULL);
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    printf("bounded buffer: %d items, weighted sum %lld\n", ITEMS, sum);

    pthread_barrier_init(&barrier, NULL, WORKERS);
    for (intptr_t i = 0; i < WORKERS; i++)
        pthread_create(&t[i], NULL, meet, (void *)i);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(t[i], NULL);
    int ok = 1;
    for (int i = 0; i < WORKERS; i++)
        ok &= all_seen[i] == WORKERS;
    printf("barrier: every thread saw all %d arrive: %s\n", WORKERS, ok ? "yes" : "no");

    for (int i = 0; i < WORKERS; i++)
        pthread_create(&t[i], NULL, call_once, NULL);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(t[i], NULL);
    printf("pthread_once ran %d time(s)\n", once_runs);

    sem_init(&done, 0, 0);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t d;
    pthread_create(&d, &attr, detached, NULL);
    sem_wait(&done);
    printf("detached thread ran: %d\n", detached_ran);

    void *ret;
    pthread_create(&p, NULL, leave_early, NULL);
    pthread_join(p, &ret);
    printf("pthread_exit value: %d\n", (int)(intptr_t)ret);
    return 0;
}
