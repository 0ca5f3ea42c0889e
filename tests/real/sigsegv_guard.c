/* A SIGSEGV handler that catches a fault on a guard page and recovers with
 * siglongjmp, three times over (so the handler's mask must be undone by
 * siglongjmp each time), plus a read of a PROT_NONE page and a write to a
 * read-only page, with si_addr and si_code checked. Exit codes: 1 mmap,
 * 2 mprotect, 3 sigaction, 4 the access did not fault, 5 wrong si_addr,
 * 6 wrong si_code, 7 SIGSEGV still blocked after recovery, 8 fault count. */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf recover;
static volatile sig_atomic_t faults;
static void *volatile fault_addr;
static volatile int fault_code;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if (sig != SIGSEGV)
        _exit(20);
    faults++;
    fault_addr = si->si_addr;
    fault_code = si->si_code;
    siglongjmp(recover, 1);
}

static int probe(volatile char *p, int write, int want_code, const char *what)
{
    if (sigsetjmp(recover, 1) == 0) {
        if (write)
            *p = 1;
        else
            (void)*p;
        return 4;
    }
    printf("%s: caught SIGSEGV at page offset %+ld, si_code %s\n", what,
           (long)((char *)fault_addr - (char *)p),
           fault_code == SEGV_ACCERR ? "SEGV_ACCERR" : fault_code == SEGV_MAPERR ? "SEGV_MAPERR" : "other");
    if (fault_addr != (void *)p)
        return 5;
    if (fault_code != want_code)
        return 6;
    sigset_t now;
    sigprocmask(SIG_SETMASK, NULL, &now);
    if (sigismember(&now, SIGSEGV))
        return 7;
    return 0;
}

int main(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    char *buf = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED)
        return 1;
    /* [0] data, [1] guard (PROT_NONE), [2] read-only, [3] data */
    if (mprotect(buf + pg, pg, PROT_NONE) || mprotect(buf + 2 * pg, pg, PROT_READ))
        return 2;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL))
        return 3;
    memset(buf, 'a', pg);
    int r;
    for (int i = 0; i < 3; i++) {
        /* run off the end of the data page into the guard */
        volatile char *p = buf;
        if (sigsetjmp(recover, 1) == 0) {
            for (long k = 0;; k++)
                p[k] = (char)k;
        }
        printf("overrun %d: stopped at offset %ld into the buffer\n", i, (long)((char *)fault_addr - buf));
        if (fault_addr != buf + pg)
            return 5;
    }
    if ((r = probe(buf + pg + 100, 0, SEGV_ACCERR, "read of PROT_NONE")))
        return r;
    if ((r = probe(buf + 2 * pg + 8, 1, SEGV_ACCERR, "write to read-only")))
        return r;
    munmap(buf + 3 * pg, pg);
    if ((r = probe(buf + 3 * pg, 1, SEGV_MAPERR, "write to unmapped")))
        return r;
    printf("read-only page still reads: %d\n", buf[2 * pg]);
    printf("%d faults caught\n", (int)faults);
    if (faults != 6)
        return 8;
    return 0;
}
