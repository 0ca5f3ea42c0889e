// mm_conf_mprotect.c - mprotect edges: splitting one mapping into three and joining it again, downgrades and upgrades keeping the bytes, PROT_NONE and back, changes spanning several mappings, stopping with ENOMEM at a hole after changing what came before it, the heap and the ELF segments (.rodata made writable, .data made read-only), PROT_GROWSDOWN on the stack and elsewhere, PROT_GROWSUP, and the EINVAL cases.
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
#define PROT_GROWSDOWN 0x01000000
#define PROT_GROWSUP 0x02000000

static long raw(long nr, long a, long b, long c, long d, long e, long f) { return __syscall6(nr, a, b, c, d, e, f); }
static const char *err(long r)
{
    if (r == 0) return "ok";
    return r == -EINVAL ? "EINVAL" : r == -ENOMEM ? "ENOMEM" : r == -EACCES ? "EACCES" : "other";
}
static long mprot(unsigned long a, unsigned long len, unsigned long prot) { return raw(__NR_mprotect, (long)a, (long)len, (long)prot, 0, 0, 0); }
/* the kernel reads six words at p (old_mmap): EFAULT if it may not read there.  p must hold zeroes. */
static int readable(unsigned long p) { return raw(90, (long)p, 0, 0, 0, 0, 0) != -EFAULT; }
/* the kernel writes 390 bytes at p (uname): EFAULT if it may not write there */
static int writable(unsigned long p) { return raw(__NR_uname, (long)p, 0, 0, 0, 0, 0) == 0; }

/* r, w or - per page, probing at offset 2048 (zeroes there, uname output goes there too) */
static void rights(const char *what, unsigned long m, int pages)
{
    char line[64];
    for (int i = 0; i < pages; i++) {
        unsigned long p = m + i * PAGE + 2048;
        line[i] = writable(p) ? 'w' : readable(p + 1024) ? 'r' : '-';
    }
    line[pages] = 0;
    printf("%-52s [%s]\n", what, line);
}

static const uint32_t table[2048] __attribute__((aligned(4096))) = { 11, 22, 33 };
static uint32_t data_words[2048] __attribute__((aligned(4096))) = { 44, 55, 66 };

int main(void)
{
    unsigned long m = (unsigned long)mmap(NULL, 8 * PAGE, RW, ANON, -1, 0);
    CHECK(m != (unsigned long)MAP_FAILED, 1);
    for (int i = 0; i < 8; i++)
        *(volatile uint32_t *)(m + i * PAGE) = 0x100 + i;
    rights("8 read-write pages", m, 8);
    CHECK(mprot(m + 3 * PAGE, 2 * PAGE, PROT_READ) == 0, 2);
    rights("pages 3-4 read-only: the mapping is split in three", m, 8);
    CHECK(mprot(m + 3 * PAGE, 2 * PAGE, RW) == 0, 3);
    rights("read-write again", m, 8);
    CHECK(mprot(m + PAGE, PAGE, PROT_NONE) == 0 && mprot(m + 6 * PAGE, 2 * PAGE, PROT_NONE) == 0, 4);
    rights("pages 1 and 6-7 PROT_NONE", m, 8);
    CHECK(mprot(m, 8 * PAGE, PROT_READ) == 0, 5);
    rights("the whole range read-only, across the pieces", m, 8);
    CHECK(mprot(m, 8 * PAGE, RW) == 0, 6);
    uint32_t sum = 0;
    for (int i = 0; i < 8; i++)
        sum += *(volatile uint32_t *)(m + i * PAGE);
    printf("after none/read-only/read-write the words are kept: sum %#x\n", sum);
    CHECK(sum == 8 * 0x100 + 28, 7);
    CHECK(mprot(m + 2 * PAGE, 1, PROT_READ) == 0, 8);
    rights("length 1 changes the whole page", m, 8);

    /* a hole stops it: pages before the hole are changed, ENOMEM */
    CHECK(munmap((void *)(m + 5 * PAGE), PAGE) == 0, 9);
    printf("mprotect across a hole:       %s\n", err(mprot(m + 3 * PAGE, 4 * PAGE, PROT_READ)));
    rights("pages 3-4 changed, 6 not", m, 8);
    printf("mprotect starting in a hole:  %s\n", err(mprot(m + 5 * PAGE, 2 * PAGE, PROT_READ)));
    rights("nothing changed", m, 8);
    CHECK(munmap((void *)m, 8 * PAGE) == 0, 10);

    /* the heap */
    unsigned long b0 = (unsigned long)sbrk(0);
    CHECK(sbrk(4 * PAGE) == (void *)b0, 11);
    memset((void *)b0, 0, 4 * PAGE);
    CHECK(mprot(b0 + PAGE, PAGE, PROT_READ) == 0, 12);
    rights("heap page 1 read-only", b0, 4);
    CHECK(mprot(b0, 4 * PAGE, RW) == 0, 13);
    rights("heap read-write again", b0, 4);

    /* ELF segments: .rodata made writable and back, .data made read-only and back */
    unsigned long t = (unsigned long)table;
    rights(".rodata", t, 2);
    CHECK(mprot(t, PAGE, RW) == 0, 14);
    ((volatile uint32_t *)table)[1] = 222;
    printf(".rodata made writable: table[1] = %u, table[2] = %u\n", ((volatile uint32_t *)table)[1], ((volatile uint32_t *)table)[2]);
    CHECK(mprot(t, PAGE, PROT_READ) == 0, 15);
    rights(".rodata read-only again", t, 2);
    unsigned long d = (unsigned long)data_words;
    CHECK(mprot(d + PAGE, PAGE, PROT_READ) == 0, 16);
    rights(".data page 1 read-only", d, 2);
    CHECK(mprot(d, 2 * PAGE, RW) == 0, 17);
    data_words[1030] = 5;
    printf(".data writable again: %u %u %u\n", data_words[0], data_words[2], data_words[1030]);

    /* PROT_GROWSDOWN reaches down to the start of the stack; nothing grows up on x86 */
    int local;
    unsigned long sp = (unsigned long)&local & ~(PAGE - 1);
    unsigned long n = (unsigned long)mmap(NULL, 4 * PAGE, RW, ANON, -1, 0);
    printf("GROWSDOWN on the stack:        %s\n", err(mprot(sp, PAGE, RW | PROT_GROWSDOWN)));
    printf("GROWSDOWN on an mmap:          %s\n", err(mprot(n + PAGE, PAGE, RW | PROT_GROWSDOWN)));
    printf("GROWSDOWN in unmapped memory:  %s\n", err(mprot(0x30000000, PAGE, RW | PROT_GROWSDOWN)));
    printf("GROWSUP on the stack:          %s\n", err(mprot(sp, PAGE, RW | PROT_GROWSUP)));
    printf("GROWSUP on an mmap:            %s\n", err(mprot(n, PAGE, RW | PROT_GROWSUP)));
    printf("GROWSUP in unmapped memory:    %s\n", err(mprot(0x30000000, PAGE, RW | PROT_GROWSUP)));
    printf("both grow flags:               %s\n", err(mprot(n, PAGE, RW | PROT_GROWSDOWN | PROT_GROWSUP)));
    printf("both grow flags, length 0:     %s\n", err(mprot(n, 0, RW | PROT_GROWSDOWN | PROT_GROWSUP)));

    /* the rest of the argument checks, in Linux's order */
    printf("unaligned address:             %s\n", err(mprot(n + 1, PAGE, PROT_READ)));
    printf("unaligned address, length 0:   %s\n", err(mprot(n + 1, 0, PROT_READ)));
    printf("length 0, bad prot:            %s\n", err(mprot(n, 0, 0x100)));
    printf("unknown prot bit 0x10:         %s\n", err(mprot(n, PAGE, 0x10)));
    printf("PROT_SEM:                      %s\n", err(mprot(n, PAGE, RW | 0x8)));
    printf("PROT_EXEC alone:               %s\n", err(mprot(n, PAGE, PROT_EXEC)));
    printf("unmapped, bad prot:            %s\n", err(mprot(0x30000000, PAGE, 0x100)));
    printf("unmapped:                      %s\n", err(mprot(0x30000000, PAGE, PROT_READ)));
    CHECK(munmap((void *)n, 4 * PAGE) == 0, 18);
    return 0;
}
