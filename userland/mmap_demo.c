/* mmap_demo.c - anonymous mappings: map, touch, protect, punch a hole,
 * fill the hole with MAP_FIXED.  Prints relations between addresses, never
 * the addresses themselves, so Linux and toyemu print the same thing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE 4096

int main(void)
{
    char *a = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (a == MAP_FAILED) {
        printf("mmap failed, errno %d\n", errno);
        return 1;
    }
    printf("mapped 16 pages: page aligned %s, reads as zero %s\n",
           ((unsigned long)a % PAGE) ? "no" : "yes", a[5 * PAGE + 7] == 0 ? "yes" : "no");

    for (int i = 0; i < 16; i++)
        a[i * PAGE] = (char)('A' + i);
    printf("touched every page: first byte of page 15 is '%c'\n", a[15 * PAGE]);

    char *b = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("a second mapping lies %s the first (the mmap area grows down)\n",
           b + 4 * PAGE == a ? "directly below" : b < a ? "below" : "above");

    int r = mprotect(a + 8 * PAGE, 2 * PAGE, PROT_READ);
    printf("mprotect(pages 8-9, PROT_READ) = %d; page 8 still reads '%c'\n", r, a[8 * PAGE]);

    r = munmap(a + 4 * PAGE, 2 * PAGE);
    printf("munmap(pages 4-5) = %d: a hole in the middle\n", r);
    printf("the pages on either side of the hole still hold '%c' and '%c'\n",
           a[3 * PAGE], a[6 * PAGE]);

    char *h = mmap(a + 4 * PAGE, 2 * PAGE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("MAP_FIXED into the hole: %s, fresh page reads %d\n",
           h == a + 4 * PAGE ? "got exactly the hole" : "somewhere else", h[0]);

    char *n = mmap(a + 4 * PAGE, PAGE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    printf("MAP_FIXED_NOREPLACE over it again: %s (errno %d, EEXIST is %d)\n",
           n == MAP_FAILED ? "refused" : "mapped", n == MAP_FAILED ? errno : 0, EEXIST);

    errno = 0;
    void *z = mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap of length 0: %s, errno %d (EINVAL is %d)\n",
           z == MAP_FAILED ? "fails" : "succeeds", errno, EINVAL);

    printf("munmap everything: %d %d\n", munmap(a, 16 * PAGE), munmap(b, 4 * PAGE));
    return 0;
}
