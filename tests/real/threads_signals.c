/* Threads with time and signals: a condition-variable wait that times out
 * (FUTEX_WAIT_BITSET with an absolute CLOCK_REALTIME deadline), a signal
 * sent to one thread with pthread_kill (tgkill) whose handler runs in that
 * thread, and main returning while another thread sleeps in pause: the
 * process ends with main's status and takes the thread with it. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static volatile int handled_in_thread;
static volatile int handled;

static void on_usr1(int s) {
    (void)s;
    handled_in_thread = syscall(SYS_gettid) != getpid();
    handled = 1;
}

static void *waiter(void *a) {
    (void)a;
    while (!handled)
        usleep(1000);
    return NULL;
}

static void *forever(void *a) {
    (void)a;
    for (;;)
        pause();
    return NULL;
}

int main(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 50 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&m);
    int r = pthread_cond_timedwait(&c, &m, &ts);
    pthread_mutex_unlock(&m);
    printf("timedwait: %s\n", r == ETIMEDOUT ? "ETIMEDOUT" : "something else");

    signal(SIGUSR1, on_usr1);
    pthread_t t;
    pthread_create(&t, NULL, waiter, NULL);
    pthread_kill(t, SIGUSR1);
    pthread_join(t, NULL);
    printf("SIGUSR1's handler ran in the thread it was sent to: %s\n",
           handled_in_thread ? "yes" : "no");

    pthread_t f;
    pthread_create(&f, NULL, forever, NULL);
    printf("main returns 3 while a thread sleeps in pause\n");
    return 3;
}
