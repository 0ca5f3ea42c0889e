// mm_conf_madvise.c - madvise edges: MADV_DONTNEED zeroes anonymous pages (heap, mmap, PROT_NONE ones seen after mprotect) and gives an ELF .data page back its initial contents; a hole gives ENOMEM after the mapped parts were dropped; MADV_POPULATE_READ/WRITE and their EINVAL/ENOMEM; which advice values exist; argument checks in Linux's order.
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
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23

static long raw(long nr, long a, long b, long c, long d, long e, long f) { return __syscall6(nr, a, b, c, d, e, f); }
static const char *err(long r)
{
    if (r == 0) return "ok";
    return r == -EINVAL ? "EINVAL" : r == -ENOMEM ? "ENOMEM" : r == -EFAULT ? "EFAULT" : "other";
}
static long madv(unsigned long a, unsigned long len, long advice) { return raw(__NR_madvise, (long)a, (long)len, advice, 0, 0, 0); }

/* an initialised array spanning whole pages of .data */
static uint32_t initial[3 * 1024] __attribute__((aligned(4096))) = { [0] = 1, [1024] = 2, [1025] = 3, [2048] = 4 };

static void picture(const char *what, unsigned long m, int pages)
{
    char line[64];
    for (int i = 0; i < pages; i++) {
        uint8_t c = *(volatile uint8_t *)(m + i * PAGE + 8);
        line[i] = c == 0 ? '0' : (char)c;
    }
    line[pages] = 0;
    printf("%-48s [%s]\n", what, line);
}

int main(void)
{
    unsigned long m = (unsigned long)mmap(NULL, 8 * PAGE, RW, ANON, -1, 0);
    CHECK(m != (unsigned long)MAP_FAILED, 1);
    for (int i = 0; i < 8; i++)
        memset((void *)(m + i * PAGE), 'a' + i, PAGE);
    picture("8 written pages", m, 8);
    CHECK(madv(m + PAGE, 2 * PAGE, MADV_DONTNEED) == 0, 2);
    picture("MADV_DONTNEED on pages 1-2", m, 8);
    CHECK(madv(m + 4 * PAGE, 1, MADV_DONTNEED) == 0, 3);
    picture("length 1 drops the whole page 4", m, 8);

    /* PROT_NONE pages can be dropped too; they read as zero once accessible again */
    CHECK(mprotect((void *)(m + 5 * PAGE), 2 * PAGE, PROT_NONE) == 0, 4);
    CHECK(madv(m + 5 * PAGE, PAGE, MADV_DONTNEED) == 0, 5);
    CHECK(mprotect((void *)(m + 5 * PAGE), 2 * PAGE, RW) == 0, 6);
    picture("page 5 dropped while PROT_NONE, 6 kept", m, 8);

    /* a hole: ENOMEM, but the mapped pages around it are dropped all the same */
    CHECK(munmap((void *)(m + 3 * PAGE), PAGE) == 0, 7);
    printf("DONTNEED across a hole:            %s\n", err(madv(m + 2 * PAGE, 4 * PAGE, MADV_DONTNEED)));
    *(volatile char *)(m + 3 * PAGE - 1) = 0;
    printf("page 2 zero, 4 zero, 5 zero, 6 kept: %s\n",
           *(volatile char *)(m + 2 * PAGE + 8) == 0 && *(volatile char *)(m + 4 * PAGE + 8) == 0 &&
           *(volatile char *)(m + 5 * PAGE + 8) == 0 && *(volatile char *)(m + 6 * PAGE + 8) == 'g' ? "yes" : "no");
    printf("DONTNEED on nothing at all:        %s\n", err(madv(0x30000000, PAGE, MADV_DONTNEED)));
    printf("MADV_NORMAL across the hole:       %s\n", err(madv(m, 8 * PAGE, MADV_NORMAL)));

    /* the heap */
    unsigned long b0 = (unsigned long)sbrk(0);
    CHECK(sbrk(3 * PAGE) == (void *)b0, 8);
    memset((void *)b0, 'h', 3 * PAGE);
    CHECK(madv(b0 + PAGE, PAGE, MADV_DONTNEED) == 0, 9);
    picture("heap page 1 dropped", b0, 3);

    /* .data: a dropped page comes back from the file, with its initial values */
    for (int i = 0; i < 3 * 1024; i++)
        initial[i] += 100;
    CHECK(madv((unsigned long)initial + PAGE, PAGE, MADV_DONTNEED) == 0, 10);
    volatile uint32_t *iv = initial;
    printf(".data after DONTNEED of its page 1: %u %u %u %u\n", iv[0], iv[1024], iv[1025], iv[2048]);
    CHECK(iv[0] == 101 && iv[1024] == 2 && iv[1025] == 3 && iv[2048] == 104, 11);

    /* MADV_POPULATE_READ / _WRITE */
    unsigned long q = (unsigned long)mmap(NULL, 4 * PAGE, RW, ANON, -1, 0);
    CHECK(q != (unsigned long)MAP_FAILED, 12);
    printf("POPULATE_WRITE on read-write:      %s\n", err(madv(q, 4 * PAGE, MADV_POPULATE_WRITE)));
    printf("the populated pages read zero:     %s\n", *(volatile int *)(q + 3 * PAGE) == 0 ? "yes" : "no");
    CHECK(mprotect((void *)(q + PAGE), PAGE, PROT_READ) == 0 && mprotect((void *)(q + 2 * PAGE), PAGE, PROT_NONE) == 0, 13);
    printf("POPULATE_READ on read-only:        %s\n", err(madv(q + PAGE, PAGE, MADV_POPULATE_READ)));
    printf("POPULATE_WRITE on read-only:       %s\n", err(madv(q + PAGE, PAGE, MADV_POPULATE_WRITE)));
    printf("POPULATE_READ on PROT_NONE:        %s\n", err(madv(q + 2 * PAGE, PAGE, MADV_POPULATE_READ)));
    printf("POPULATE_READ on nothing:          %s\n", err(madv(0x30000000, PAGE, MADV_POPULATE_READ)));
    CHECK(munmap((void *)(q + 3 * PAGE), PAGE) == 0, 14);
    printf("POPULATE_READ into a hole:         %s\n", err(madv(q, 4 * PAGE, MADV_POPULATE_READ)));
    CHECK(munmap((void *)q, 3 * PAGE) == 0, 15);

    /* which advice values this kernel knows (on a private anonymous mapping) */
    printf("advice values refused:");
    for (int adv = 0; adv < 40; adv++)
        if (adv != 25 && madv(m, PAGE, adv) == -EINVAL)
            printf(" %d", adv);
    printf("\n");
    for (int i = 0; i < 8; i++)
        if (i != 3)
            CHECK(*(volatile char *)(m + i * PAGE + 100) == 0 || *(volatile char *)(m + i * PAGE + 100) == 'a' + i, 16);

    /* argument checks */
    printf("unaligned address:                 %s\n", err(madv(m + 1, PAGE, MADV_DONTNEED)));
    printf("length 0:                          %s\n", err(madv(m, 0, MADV_DONTNEED)));
    printf("length 0, unknown advice:          %s\n", err(madv(m, 0, 99)));
    printf("length 0, unaligned address:       %s\n", err(madv(m + 1, 0, MADV_NORMAL)));
    printf("unknown advice, unaligned address: %s\n", err(madv(m + 1, PAGE, 99)));
    return 0;
}
