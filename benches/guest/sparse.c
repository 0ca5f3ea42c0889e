/* A huge sparse mapping: map 2 GiB anonymously and write one byte every
 * 16 MiB (128 pages, each under its own page table).  argv[1] rounds of
 * map, touch, munmap; then, if argv[2] is 1, one more mapping touched the
 * same way and left for exit to tear down.  munmap and exit should cost
 * what the 128 populated pages cost, not what 2 GiB would.  Prints the sum
 * read back. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define LEN (2048u << 20)
#define STRIDE (16u << 20)

/* Map LEN bytes, touch one page per STRIDE, add what was written to *sum. */
static void *map_sparse(unsigned r, unsigned *sum)
{
    volatile unsigned char *p =
        mmap(0, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        printf("mmap of 2 GiB failed in round %u\n", r);
        exit(1);
    }
    unsigned at = 4096 * (r & 7);
    for (unsigned off = 0; off < LEN; off += STRIDE)
        p[off + at] = (unsigned char)(off >> 24);
    for (unsigned off = 0; off < LEN; off += STRIDE)
        *sum += p[off + at];
    return (void *)p;
}

int main(int argc, char **argv)
{
    unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 10;
    unsigned leave = argc > 2 ? (unsigned)atoi(argv[2]) : 0;
    unsigned sum = 0;
    for (unsigned r = 0; r < rounds; r++)
        if (munmap(map_sparse(r, &sum), LEN) != 0) {
            printf("munmap failed in round %u\n", r);
            return 1;
        }
    if (leave)
        map_sparse(rounds, &sum);
    printf("sparse %u rounds, %u left: %u\n", rounds, leave, sum);
    return 0;
}
