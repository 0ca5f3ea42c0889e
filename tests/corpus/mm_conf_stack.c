// mm_conf_stack.c - the stack grows on demand to exactly the 8 MiB limit (touched page by page below the stack pointer), a PROT_NONE mapping inside the guard gap does not stop it, a hint inside the gap is not honoured while MAP_FIXED there is, and the initial stack ends with the program name and a zero marker just below the top.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)
#define PAGE 4096ul
#define MIB (1ul << 20)
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

int main(int argc, char **argv)
{
    /* AT_EXECFN is the last string on the stack: 4 zero bytes above it, then the top */
    const char *fn = (const char *)getauxval(AT_EXECFN);
    unsigned long end = (unsigned long)fn + strlen(fn) + 1;
    unsigned long top = (end + PAGE - 1) & ~(PAGE - 1);   /* a pointer-sized zero marker lies between */
    printf("the program name is the last string on the stack, then zeroes: %s\n",
           top - end <= 8 && *(uint32_t *)(top - 4) == 0 ? "yes" : "no");
    CHECK(top - end <= 8 && *(uint32_t *)(top - 4) == 0, 1);
    printf("argv[0] is the program name: %s; argc %d\n", strcmp(argv[0], fn) == 0 ? "yes" : "no", argc);
    volatile int local = 0;
    CHECK(top - (unsigned long)&local < 64 * 1024, 2);

    /* a PROT_NONE reservation half a MiB below the 8 MiB limit: inside the guard gap */
    unsigned long lim = top - 8 * MIB;
    void *none = mmap((void *)(lim - MIB / 2), PAGE, PROT_NONE, ANON | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(none == (void *)(lim - MIB / 2), 3);

    /* grow by touching each page below the stack pointer, down to the limit */
    uint32_t sum = 0;
    for (unsigned long a = ((unsigned long)&local & ~(PAGE - 1)) - PAGE; a >= lim; a -= PAGE) {
        volatile uint32_t *w = (volatile uint32_t *)(a + 64);
        CHECK(*w == 0, 4);
        *w = (uint32_t)((top - a) >> 12);
        sum += *w;
    }
    printf("stack grown to exactly 8 MiB past a PROT_NONE page in its gap: checksum %u\n", sum);

    /* hints inside the gap are moved; MAP_FIXED is not */
    void *h = mmap((void *)(lim - 3 * PAGE), PAGE, RW, ANON, -1, 0);
    printf("hint 3 pages below the grown stack: %s\n", h == (void *)(lim - 3 * PAGE) ? "honoured" : "placed elsewhere");
    void *f = mmap((void *)(lim - 3 * PAGE), PAGE, RW, ANON | MAP_FIXED, -1, 0);
    printf("MAP_FIXED there: %s\n", f == (void *)(lim - 3 * PAGE) ? "ok" : "failed");
    *(volatile char *)f = 1;
    CHECK(munmap(f, PAGE) == 0 && munmap(h, PAGE) == 0 && munmap(none, PAGE) == 0, 5);

    /* the grown stack keeps what was written */
    uint32_t again = 0;
    for (unsigned long a = ((unsigned long)&local & ~(PAGE - 1)) - PAGE; a >= lim; a -= PAGE)
        again += *(volatile uint32_t *)(a + 64);
    printf("read back: %s\n", again == sum ? "same" : "different");
    return 0;
}
