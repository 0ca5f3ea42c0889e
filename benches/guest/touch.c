/* Map argv[1] MiB anonymously and write one byte per page: demand-zero
 * faults on memory the host has not committed yet; argv[2] rounds of map,
 * touch, unmap (the last mapping is left for exit).  Prints the sum read
 * back. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
    unsigned mib = argc > 1 ? (unsigned)atoi(argv[1]) : 16;
    unsigned rounds = argc > 2 ? (unsigned)atoi(argv[2]) : 1;
    unsigned len = mib << 20, sum = 0;
    for (unsigned r = 0; r < rounds && len; r++) {
        volatile unsigned char *p =
            mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            printf("mmap of %u MiB failed\n", mib);
            return 1;
        }
        for (unsigned off = 0; off < len; off += 4096)
            p[off] = (unsigned char)(off >> 12);
        for (unsigned off = 0; off < len; off += 4096)
            sum += p[off];
        if (r + 1 < rounds)
            munmap((void *)p, len);
    }
    printf("touch %u MiB x %u: %u\n", mib, rounds, sum);
    return 0;
}
