// mm_madvise.c - madvise(MADV_DONTNEED) on private anonymous memory: the pages are dropped and read back as zero, the mapping itself stays; bad arguments give EINVAL.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)
#define PAGE 4096

int main(void)
{
    char *m = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED, 1);
    memset(m, 'x', 8 * PAGE);
    CHECK(madvise(m + 2 * PAGE, 3 * PAGE, MADV_DONTNEED) == 0, 2);
    int zero = 0, x = 0;
    for (int i = 0; i < 8 * PAGE; i++) {
        zero += m[i] == 0;
        x += m[i] == 'x';
    }
    printf("after MADV_DONTNEED of 3 of 8 pages: %d zero bytes, %d kept\n", zero, x);
    CHECK(zero == 3 * PAGE && x == 5 * PAGE, 3);
    m[3 * PAGE] = 'y';                                   /* still mapped and writable */
    CHECK(m[3 * PAGE] == 'y', 4);
    errno = 0;
    CHECK(madvise(m + 1, PAGE, MADV_DONTNEED) == -1 && errno == EINVAL, 5);
    CHECK(madvise(m, 8 * PAGE, MADV_NORMAL) == 0, 6);
    CHECK(munmap(m, 8 * PAGE) == 0, 7);
    printf("madvise agrees\n");
    return 0;
}
