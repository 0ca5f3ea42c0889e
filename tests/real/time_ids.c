/* The process's view of itself and the clock: pid, ids, uname, time,
 * clock_gettime, gettimeofday, sysconf, getrlimit, getcwd, isatty. Only
 * facts that are the same on every run are printed (that the clock moves
 * forward, not what it says). Exit codes: 1 a clock call failed, 2 the
 * clocks disagree, 3 time went backwards, 4 uname, 5 sysconf. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
    printf("getpid() > 0: %d, getppid() >= 0: %d\n", getpid() > 0, getppid() >= 0);
    printf("getuid()==geteuid(): %d, getgid()==getegid(): %d\n", getuid() == geteuid(), getgid() == getegid());
    struct utsname u;
    if (uname(&u))
        return 4;
    printf("uname: sysname %s, machine %s\n", u.sysname, u.machine);
    time_t t = time(NULL);
    struct timespec rt, mono, mono2, cpu;
    struct timeval tv;
    if (clock_gettime(CLOCK_REALTIME, &rt) || clock_gettime(CLOCK_MONOTONIC, &mono) || gettimeofday(&tv, NULL))
        return 1;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu))
        return 1;
    printf("time() after 2020: %d\n", t > 1577836800);
    if (rt.tv_sec < t - 5 || rt.tv_sec > t + 5 || tv.tv_sec < t - 5 || tv.tv_sec > t + 5)
        return 2;
    volatile unsigned spin = 0;
    for (int i = 0; i < 1000000; i++)
        spin += i;
    clock_gettime(CLOCK_MONOTONIC, &mono2);
    if (mono2.tv_sec < mono.tv_sec || (mono2.tv_sec == mono.tv_sec && mono2.tv_nsec < mono.tv_nsec))
        return 3;
    printf("monotonic clock moves forward: yes\n");
    clock_t c = clock();
    printf("clock() >= 0: %d\n", c >= 0);
    struct timespec nap = {0, 1000000};
    printf("nanosleep(1 ms) = %d\n", nanosleep(&nap, NULL));
    long pg = sysconf(_SC_PAGESIZE);
    printf("page size %ld, CLK_TCK %ld\n", pg, sysconf(_SC_CLK_TCK));
    if (pg != 4096)
        return 5;
    struct rlimit rl;
    printf("getrlimit(RLIMIT_STACK) = %d\n", getrlimit(RLIMIT_STACK, &rl));
    char cwd[4096];
    printf("getcwd ok: %d\n", getcwd(cwd, sizeof cwd) != NULL && cwd[0] == '/');
    printf("isatty(0)=%d isatty(1)=%d\n", isatty(0), isatty(1));
    struct tm tm;
    time_t fixed = 1000000000;
    gmtime_r(&fixed, &tm);
    char when[64];
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %a %j", &tm);
    printf("gmtime(1e9) = %s\n", when);
    return 0;
}
