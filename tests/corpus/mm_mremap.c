// mm_mremap.c - mremap of private anonymous memory: grow in place when the room after is free, move (MREMAP_MAYMOVE) when it is not, shrink, keep the contents, and the errors (EFAULT, EINVAL, ENOMEM without MAYMOVE).
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <syscall.h>
#include <unistd.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s (errno %d)\n", __LINE__, #cond, errno); exit(code); } } while (0)
#define PAGE 4096
#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED 2

static void *mremap_(void *old, size_t old_size, size_t new_size, int flags, void *new_addr)
{
    long r = __syscall6(163, (long)old, (long)old_size, (long)new_size, flags, (long)new_addr, 0);
    if (r < 0 && r > -4096) {
        errno = (int)-r;
        return MAP_FAILED;
    }
    return (void *)r;
}

int main(void)
{
    /* Reserve 8 pages, give the first 2 back, keep [2, 6) as the block and
     * leave [6, 8) mapped as a neighbour that blocks growth. */
    char *area = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(area != MAP_FAILED, 1);
    char *block = area + 2 * PAGE;
    CHECK(munmap(area, 2 * PAGE) == 0, 2);
    for (int i = 0; i < 4 * PAGE; i++)
        block[i] = (char)(i * 7);

    /* Shrink to 2 pages: same address, the tail goes. */
    char *r = mremap_(block, 4 * PAGE, 2 * PAGE, 0, NULL);
    CHECK(r == block, 3);
    printf("shrink in place: %s\n", r == block ? "yes" : "no");

    /* Grow back to 4 pages: the room after it is free now. */
    r = mremap_(block, 2 * PAGE, 4 * PAGE, 0, NULL);
    CHECK(r == block, 4);
    CHECK(block[PAGE + 5] == (char)((PAGE + 5) * 7), 5);
    CHECK(block[3 * PAGE] == 0, 6);
    printf("grow in place: kept the data, new pages are zero\n");

    /* Growing to 6 pages runs into the neighbour: ENOMEM without MAYMOVE. */
    CHECK(mremap_(block, 4 * PAGE, 6 * PAGE, 0, NULL) == MAP_FAILED && errno == ENOMEM, 7);
    r = mremap_(block, 4 * PAGE, 6 * PAGE, MREMAP_MAYMOVE, NULL);
    CHECK(r != MAP_FAILED && r != block, 8);
    int same = 1;
    for (int i = 0; i < 2 * PAGE; i++)
        same &= r[i] == (char)(i * 7);
    CHECK(same && r[5 * PAGE] == 0, 9);
    printf("move: the data came along, the old place is gone: %s\n",
           mremap_(block, PAGE, PAGE, 0, NULL) == MAP_FAILED && errno == EFAULT ? "yes" : "no");

    /* Errors. */
    CHECK(mremap_(r + 1, PAGE, 2 * PAGE, MREMAP_MAYMOVE, NULL) == MAP_FAILED && errno == EINVAL, 10);
    CHECK(mremap_(r, PAGE, 0, MREMAP_MAYMOVE, NULL) == MAP_FAILED && errno == EINVAL, 11);
    CHECK(mremap_(r, PAGE, 2 * PAGE, MREMAP_FIXED, r + 16 * PAGE) == MAP_FAILED && errno == EINVAL, 12);
    CHECK(mremap_(r, PAGE, 2 * PAGE, 64, NULL) == MAP_FAILED && errno == EINVAL, 13);
    CHECK(mremap_(r, 7 * PAGE, 8 * PAGE, MREMAP_MAYMOVE, NULL) == MAP_FAILED && errno == EFAULT, 14);
    /* A new length beyond all of user space is EINVAL (check_mremap_params). */
    CHECK(mremap_(r, PAGE, 0xfffff000u, MREMAP_MAYMOVE, NULL) == MAP_FAILED && errno == EINVAL, 16);
    printf("errors: EINVAL EFAULT as Linux gives them\n");

    /* A realloc of a big block goes through mremap in glibc; ours copies. */
    CHECK(munmap(r, 6 * PAGE) == 0 && munmap(area + 6 * PAGE, 2 * PAGE) == 0, 15);
    return 0;
}
