// mm_conf_mmap.c - mmap2 and old_mmap edges: hints honoured when free and ignored when not, MAP_FIXED replacing parts of several mappings and the holes between them, MAP_FIXED_NOREPLACE, PROT_NONE reservations committed piece by piece, MAP_POPULATE, anonymous MAP_SHARED, and Linux's order of EINVAL/ENOMEM/EEXIST/EBADF checks.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <syscall.h>
#include <unistd.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)
#define PAGE 4096ul
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define MAP_SHARED_VALIDATE 0x03

static long raw(long nr, long a, long b, long c, long d, long e, long f) { return __syscall6(nr, a, b, c, d, e, f); }
static int failed(long r) { return (unsigned long)r > -4096ul; }
static const char *err(long r)
{
    if (!failed(r)) return "ok";
    switch (-r) {
    case EINVAL: return "EINVAL"; case ENOMEM: return "ENOMEM"; case EEXIST: return "EEXIST";
    case EBADF: return "EBADF"; case EPERM: return "EPERM"; case EFAULT: return "EFAULT";
    case EOVERFLOW: return "EOVERFLOW"; default: return "other";
    }
}
static long mmap2(unsigned long a, unsigned long len, int prot, int flags, int fd, unsigned long pgoff)
{
    return raw(__NR_mmap2, (long)a, (long)len, prot, flags, fd, (long)pgoff);
}
/* Readable by the kernel?  old_mmap reads its six words from p (zeroes here: length 0, EINVAL). */
static int readable(unsigned long p) { return raw(90, (long)p, 0, 0, 0, 0, 0) != -EFAULT; }
static int writable(unsigned long p) { return raw(__NR_uname, (long)p, 0, 0, 0, 0, 0) == 0; }

/* one byte per page: 'a'+page for the pages of m that hold old data, '0' for zero pages, '-' for unmapped */
static void picture(const char *what, unsigned long m, int pages)
{
    char line[64];
    for (int i = 0; i < pages; i++) {
        unsigned long p = m + i * PAGE;
        if (!readable(p + 100)) { line[i] = '-'; continue; }
        uint8_t c = *(volatile uint8_t *)(p + 8);
        line[i] = c == 0 ? '0' : (char)c;
    }
    line[pages] = 0;
    printf("%-46s [%s]\n", what, line);
}

int main(void)
{
    /* three neighbouring mappings, filled */
    unsigned long m = (unsigned long)mmap2(0, 12 * PAGE, RW, ANON, -1, 0);
    CHECK(!failed(m), 1);
    for (int i = 0; i < 12; i++)
        memset((void *)(m + i * PAGE + 8), 'a' + i, 16);
    CHECK(munmap((void *)(m + 4 * PAGE), PAGE) == 0 && munmap((void *)(m + 8 * PAGE), PAGE) == 0, 2);
    picture("three mappings with two holes", m, 12);

    /* MAP_FIXED across parts of all three and both holes */
    long f = mmap2(m + 2 * PAGE, 8 * PAGE, PROT_READ, ANON | MAP_FIXED, -1, 0);
    CHECK(f == (long)(m + 2 * PAGE), 3);
    picture("MAP_FIXED (read-only) over pages 2-9", m, 12);
    printf("page 3 writable now: %s, page 1: %s\n", writable(m + 3 * PAGE) ? "yes" : "no",
           writable(m + PAGE + 2048) ? "yes" : "no");

    /* MAP_FIXED_NOREPLACE: anything in the way is EEXIST, even one page at the end */
    CHECK(munmap((void *)(m + 9 * PAGE), 2 * PAGE) == 0, 4);
    printf("NOREPLACE over a mapping:            %s\n", err(mmap2(m + 8 * PAGE, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0)));
    printf("NOREPLACE ending on a mapping:       %s\n", err(mmap2(m + 9 * PAGE, 3 * PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0)));
    printf("NOREPLACE unaligned:                 %s\n", err(mmap2(m + 9 * PAGE + 1, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0)));
    long nr = mmap2(m + 9 * PAGE, 2 * PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
    printf("NOREPLACE over the free pages:       %s\n", nr == (long)(m + 9 * PAGE) ? "ok, there" : err(nr));
    picture("after NOREPLACE filled pages 9-10", m, 12);

    /* hints: honoured where free, ignored (not an error) where not */
    unsigned long hole = m + 4 * PAGE;
    CHECK(munmap((void *)hole, 2 * PAGE) == 0, 5);
    printf("hint at a free 2-page hole:          %s\n", mmap2(hole, 2 * PAGE, RW, ANON, -1, 0) == (long)hole ? "honoured" : "not honoured");
    long h2 = mmap2(hole, PAGE, RW, ANON, -1, 0);
    printf("the same hint again:                 %s\n", h2 == (long)hole ? "honoured?!" : "placed elsewhere");
    long h3 = mmap2(m + 6 * PAGE + 123, PAGE, RW, ANON, -1, 0);
    printf("an unaligned hint inside a mapping:  %s\n", h3 % PAGE == 0 && h3 != (long)(m + 6 * PAGE) ? "placed elsewhere, aligned" : "?");
    CHECK(munmap((void *)h2, PAGE) == 0 && munmap((void *)h3, PAGE) == 0, 6);
    CHECK(munmap((void *)m, 12 * PAGE) == 0, 7);

    /* a PROT_NONE reservation, committed piece by piece with MAP_FIXED and mprotect */
    unsigned long r = (unsigned long)mmap2(0, 64 * PAGE, PROT_NONE, ANON, -1, 0);
    CHECK(!failed(r), 8);
    printf("reservation readable: %s\n", readable(r) ? "yes" : "no");
    CHECK(mmap2(r + 8 * PAGE, 4 * PAGE, RW, ANON | MAP_FIXED, -1, 0) == (long)(r + 8 * PAGE), 9);
    CHECK(mprotect((void *)(r + 20 * PAGE), PAGE, RW) == 0, 10);
    memset((void *)(r + 8 * PAGE), 7, 4 * PAGE);
    *(volatile char *)(r + 20 * PAGE) = 9;
    printf("committed pieces: %s %s %s; between them: %s\n", writable(r + 8 * PAGE) ? "rw" : "--",
           writable(r + 11 * PAGE) ? "rw" : "--", writable(r + 20 * PAGE + 1000) ? "rw" : "--",
           readable(r + 15 * PAGE) ? "readable" : "no access");
    long next = mmap2(0, PAGE, RW, ANON, -1, 0);
    printf("a new mapping avoids the reservation: %s\n", next + PAGE <= (long)r || next >= (long)(r + 64 * PAGE) ? "yes" : "no");
    CHECK(munmap((void *)r, 64 * PAGE) == 0 && munmap((void *)next, PAGE) == 0, 11);

    /* MAP_POPULATE, MAP_SHARED anonymous, MAP_SHARED_VALIDATE */
    long pop = mmap2(0, 4 * PAGE, RW, ANON | MAP_POPULATE, -1, 0);
    CHECK(!failed(pop) && *(volatile int *)(pop + 3 * PAGE) == 0, 12);
    printf("MAP_POPULATE:                        ok, zero\n");
    long sh = mmap2(0, 2 * PAGE, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(!failed(sh), 13);
    *(volatile int *)(sh + PAGE) = 77;
    printf("MAP_SHARED|MAP_ANONYMOUS:            ok, %d\n", *(volatile int *)(sh + PAGE));
    printf("MAP_SHARED_VALIDATE|MAP_ANONYMOUS:   %s\n", err(mmap2(0, PAGE, RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1, 0)));
    printf("MAP_SHARED|MAP_GROWSDOWN anonymous:  %s\n", err(mmap2(0, PAGE, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0)));
    long sem = mmap2(0, PAGE, RW | 0x8 | 0x10, ANON, -1, 0);
    printf("PROT_SEM and unknown prot bits:      %s\n", err(sem));
    munmap((void *)sem, PAGE);
    munmap((void *)pop, 4 * PAGE);
    munmap((void *)sh, 2 * PAGE);

    /* which error wins */
    printf("length 0, no type:                   %s\n", err(mmap2(0, 0, RW, MAP_ANONYMOUS, -1, 0)));
    printf("huge length, no type:                %s\n", err(mmap2(0, 0xfffff000u, RW, MAP_ANONYMOUS, -1, 0)));
    printf("length that wraps when rounded:      %s\n", err(mmap2(0, 0xfffff001u, RW, ANON, -1, 0)));
    printf("unaligned MAP_FIXED, no type:        %s\n", err(mmap2(0x20000001, PAGE, RW, MAP_ANONYMOUS | MAP_FIXED, -1, 0)));
    printf("unaligned MAP_FIXED, huge length:    %s\n", err(mmap2(0x20000001, 0xfffff000u, RW, ANON | MAP_FIXED, -1, 0)));
    printf("no type at a free MAP_FIXED address: %s\n", err(mmap2(0x20000000, PAGE, RW, MAP_ANONYMOUS | MAP_FIXED, -1, 0)));
    printf("type 0x0f:                           %s\n", err(mmap2(0, PAGE, RW, MAP_ANONYMOUS | 0x0f, -1, 0)));
    printf("bad fd, length 0:                    %s\n", err(mmap2(0, 0, RW, MAP_PRIVATE, 99, 0)));
    printf("bad fd, no type:                     %s\n", err(mmap2(0, PAGE, RW, 0, 99, 0)));
    printf("anonymous with fd 99 (ignored):      %s\n", err(mmap2(0x21000000, PAGE, RW, ANON | MAP_FIXED, 99, 0)));
    printf("anonymous with an offset (ignored):  %s\n", err(mmap2(0x21001000, PAGE, RW, ANON | MAP_FIXED, -1, 5)));

    /* old_mmap (90): the same call through a struct in memory */
    uint32_t args[6] = { 0x22000000, 3 * PAGE, RW, ANON | MAP_FIXED, (uint32_t)-1, 0 };
    long o = raw(90, (long)args, 0, 0, 0, 0, 0);
    printf("old_mmap at 0x22000000:              %s\n", o == 0x22000000 ? "ok" : err(o));
    args[5] = 100;
    printf("old_mmap, unaligned byte offset:     %s\n", err(raw(90, (long)args, 0, 0, 0, 0, 0)));
    printf("old_mmap, struct in unmapped memory: %s\n", err(raw(90, 0x23000000, 0, 0, 0, 0, 0)));
    printf("old_mmap, struct at NULL:            %s\n", err(raw(90, 0, 0, 0, 0, 0, 0)));
    return 0;
}
