// mm_conf_suites.c - assertions of the Linux Test Project's brk/mmap/munmap/mprotect tests and gVisor's mm syscall tests, rewritten as one table of small cases; each prints PASS or what it saw.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <syscall.h>
#include <unistd.h>

#define PAGE 4096ul
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define EXPECT(cond) do { if (!(cond)) { printf("FAIL (%s, line %d, errno %d)\n", #cond, __LINE__, errno); return 1; } } while (0)

static long raw(long nr, long a, long b, long c, long d, long e, long f) { return __syscall6(nr, a, b, c, d, e, f); }
/* the kernel may read six words at p (old_mmap reads its struct; zeroes give EINVAL) */
static int readable(void *p) { return raw(90, (long)p, 0, 0, 0, 0, 0) != -EFAULT; }
/* the kernel may write 390 bytes at p (uname) */
static int writable(void *p) { return raw(__NR_uname, (long)p, 0, 0, 0, 0, 0) == 0; }
static void *anon(size_t len, int prot) { return mmap(NULL, len, prot, ANON, -1, 0); }

/* LTP brk01: the break moves up and down by the amounts asked */
static int brk01(void)
{
    char *b0 = sbrk(0);
    for (long inc = 1; inc <= 64 * 1024; inc *= 4) {
        EXPECT(brk(b0 + inc) == 0 && sbrk(0) == b0 + inc);
        b0[inc - 1] = 1;
        EXPECT(brk(b0) == 0 && sbrk(0) == b0);
    }
    return 0;
}

/* LTP brk02: mprotect a freshly grown heap piece, then brk below it */
static int brk02(void)
{
    char *b0 = sbrk(0);
    EXPECT(brk(b0 + 2 * PAGE + 7) == 0);
    EXPECT(mprotect((void *)(((uintptr_t)b0 + PAGE) & ~(PAGE - 1)), PAGE, PROT_READ) == 0);
    EXPECT(brk(b0) == 0 && sbrk(0) == b0);
    EXPECT(brk(b0 + 3 * PAGE) == 0 && b0[2 * PAGE] == 0 && writable(b0 + PAGE));
    EXPECT(brk(b0) == 0);
    return 0;
}

/* LTP mmap01-style: private anonymous memory starts zeroed and keeps what is written */
static int mmap_zeroed(void)
{
    uint8_t *p = anon(16 * PAGE, RW);
    EXPECT(p != MAP_FAILED);
    for (unsigned i = 0; i < 16 * PAGE; i += 511)
        EXPECT(p[i] == 0);
    memset(p, 0xc3, 16 * PAGE);
    EXPECT(p[16 * PAGE - 1] == 0xc3);
    EXPECT(munmap(p, 16 * PAGE) == 0);
    uint8_t *q = mmap(p, 16 * PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
    EXPECT(q == p && q[100] == 0);
    EXPECT(munmap(q, 16 * PAGE) == 0);
    return 0;
}

/* LTP mmap05 / gVisor ProtNone: a PROT_NONE mapping cannot be read or written by the kernel either */
static int mmap_protnone(void)
{
    void *p = anon(PAGE, PROT_NONE);
    EXPECT(p != MAP_FAILED && !readable(p) && !writable(p));
    EXPECT(mprotect(p, PAGE, PROT_READ) == 0 && readable(p) && !writable(p));
    EXPECT(munmap(p, PAGE) == 0 && !readable(p));
    return 0;
}

/* LTP mmap12: MAP_POPULATE; gVisor MapPopulate */
static int mmap_populate(void)
{
    uint32_t *p = mmap(NULL, 8 * PAGE, RW, ANON | MAP_POPULATE, -1, 0);
    EXPECT(p != MAP_FAILED && p[5 * PAGE / 4] == 0);
    void *n = mmap(NULL, 2 * PAGE, PROT_NONE, ANON | MAP_POPULATE, -1, 0);
    EXPECT(n != MAP_FAILED && !readable(n));
    EXPECT(munmap(p, 8 * PAGE) == 0 && munmap(n, 2 * PAGE) == 0);
    return 0;
}

/* LTP mmap17: MAP_FIXED_NOREPLACE over an existing mapping is EEXIST and changes nothing */
static int mmap17(void)
{
    char *p = anon(2 * PAGE, RW);
    EXPECT(p != MAP_FAILED);
    p[PAGE] = 'x';
    errno = 0;
    EXPECT(mmap(p + PAGE, PAGE, PROT_READ, ANON | MAP_FIXED_NOREPLACE, -1, 0) == MAP_FAILED && errno == EEXIST);
    EXPECT(p[PAGE] == 'x' && writable(p + PAGE + 8));
    EXPECT(munmap(p, 2 * PAGE) == 0);
    return 0;
}

/* gVisor MapZeroLen, MapUnaligned, MapTooLarge, MapBadFlags */
static int mmap_errors(void)
{
    errno = 0;
    EXPECT(anon(0, RW) == MAP_FAILED && errno == EINVAL);
    errno = 0;
    EXPECT(mmap((void *)0x20000800, PAGE, RW, ANON | MAP_FIXED, -1, 0) == MAP_FAILED && errno == EINVAL);
    errno = 0;
    EXPECT(anon(0xfffff000u, RW) == MAP_FAILED && errno == ENOMEM);
    errno = 0;
    EXPECT(mmap(NULL, PAGE, RW, MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == EINVAL);
    errno = 0;
    EXPECT(mmap(NULL, PAGE, RW, MAP_SHARED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == EINVAL);
    errno = 0;
    EXPECT(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 1000, 0) == MAP_FAILED && errno == EBADF);
    return 0;
}

/* gVisor MapFixedReplaces: MAP_FIXED replaces contents with zero pages of the new protection */
static int mmap_fixed_replaces(void)
{
    char *p = anon(4 * PAGE, RW);
    EXPECT(p != MAP_FAILED);
    memset(p, 'q', 4 * PAGE);
    EXPECT(mmap(p + PAGE, 2 * PAGE, PROT_READ, ANON | MAP_FIXED, -1, 0) == p + PAGE);
    EXPECT(p[0] == 'q' && p[PAGE] == 0 && p[3 * PAGE - 1] == 0 && p[3 * PAGE] == 'q');
    EXPECT(writable(p + 8) && !writable(p + PAGE + 8) && writable(p + 3 * PAGE + 8));
    EXPECT(munmap(p, 4 * PAGE) == 0);
    return 0;
}

/* LTP munmap02-style: unmapping part of a mapping leaves the rest usable */
static int munmap_partial(void)
{
    char *p = anon(6 * PAGE, RW);
    EXPECT(p != MAP_FAILED);
    memset(p, 'm', 6 * PAGE);
    EXPECT(munmap(p, PAGE) == 0 && munmap(p + 5 * PAGE, PAGE) == 0 && munmap(p + 2 * PAGE, 2 * PAGE) == 0);
    EXPECT(!readable(p) && p[PAGE] == 'm' && !readable(p + 2 * PAGE) && !readable(p + 3 * PAGE) && p[4 * PAGE] == 'm');
    EXPECT(!readable(p + 5 * PAGE));
    EXPECT(munmap(p, 6 * PAGE) == 0);
    return 0;
}

/* LTP munmap03: EINVAL for a bad address or length; nothing mapped is not an error */
static int munmap03(void)
{
    errno = 0;
    EXPECT(munmap((void *)0x20000001, PAGE) == -1 && errno == EINVAL);
    errno = 0;
    EXPECT(munmap((void *)0x20000000, 0) == -1 && errno == EINVAL);
    EXPECT(munmap((void *)0x20000000, 64 * PAGE) == 0);
    return 0;
}

/* LTP mprotect01: ENOMEM for unmapped memory, EINVAL for unaligned addresses and unknown bits */
static int mprotect01(void)
{
    char *p = anon(2 * PAGE, RW);
    EXPECT(p != MAP_FAILED);
    errno = 0;
    EXPECT(mprotect(p + 1, PAGE, PROT_READ) == -1 && errno == EINVAL);
    errno = 0;
    EXPECT(mprotect(p, PAGE, 0x400) == -1 && errno == EINVAL);
    EXPECT(munmap(p + PAGE, PAGE) == 0);
    errno = 0;
    EXPECT(mprotect(p + PAGE, PAGE, PROT_READ) == -1 && errno == ENOMEM);
    errno = 0;
    EXPECT(mprotect(p, 2 * PAGE, PROT_READ) == -1 && errno == ENOMEM);
    EXPECT(!writable(p + 8));   /* the mapped part changed all the same */
    EXPECT(munmap(p, PAGE) == 0);
    return 0;
}

/* LTP mprotect05: split a mapping in three, protect the middle, then all of it */
static int mprotect05(void)
{
    char *p = anon(3 * PAGE, RW);
    EXPECT(p != MAP_FAILED);
    memset(p, 's', 3 * PAGE);
    EXPECT(mprotect(p + PAGE, PAGE, PROT_READ) == 0);
    EXPECT(writable(p + 8) && !writable(p + PAGE + 8) && writable(p + 2 * PAGE + 8));
    EXPECT(mprotect(p, 3 * PAGE, PROT_NONE) == 0 && !readable(p + PAGE + 2048));
    EXPECT(mprotect(p, 3 * PAGE, RW) == 0 && p[PAGE + 100] == 's');
    EXPECT(munmap(p, 3 * PAGE) == 0);
    return 0;
}

/* gVisor MadviseDontneedZeroesPrivateAnon and ...COW: anonymous pages read zero, file pages read the file */
static int data_page[1024] __attribute__((aligned(4096))) = { 17, [1023] = 19 };
static int madvise_dontneed(void)
{
    int *p = anon(2 * PAGE, RW);
    EXPECT(p != MAP_FAILED);
    p[0] = 1;
    p[1024] = 2;
    EXPECT(madvise(p, PAGE, MADV_DONTNEED) == 0 && p[0] == 0 && p[1024] == 2);
    data_page[0] = 170;
    data_page[1023] = 190;
    EXPECT(madvise(data_page, PAGE, MADV_DONTNEED) == 0);
    EXPECT(((volatile int *)data_page)[0] == 17 && ((volatile int *)data_page)[1023] == 19);
    EXPECT(munmap(p, 2 * PAGE) == 0);
    return 0;
}

static const struct { const char *name; int (*run)(void); } cases[] = {
    { "ltp brk01", brk01 },
    { "ltp brk02", brk02 },
    { "ltp mmap01 (zeroed)", mmap_zeroed },
    { "ltp mmap05 (PROT_NONE)", mmap_protnone },
    { "ltp mmap12 (MAP_POPULATE)", mmap_populate },
    { "ltp mmap17 (MAP_FIXED_NOREPLACE)", mmap17 },
    { "gvisor mmap errors", mmap_errors },
    { "gvisor MAP_FIXED replaces", mmap_fixed_replaces },
    { "ltp munmap02 (partial)", munmap_partial },
    { "ltp munmap03 (errors)", munmap03 },
    { "ltp mprotect01 (errors)", mprotect01 },
    { "ltp mprotect05 (split)", mprotect05 },
    { "gvisor madvise DONTNEED", madvise_dontneed },
};

int main(void)
{
    int failed = 0;
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        printf("%-36s ", cases[i].name);
        int r = cases[i].run();
        if (r == 0)
            printf("PASS\n");
        failed += r;
    }
    printf("%d failed\n", failed);
    return failed;
}
