/* Map argv[1] MiB anonymously and write one byte per page: demand-zero
 * faults; argv[2] rounds of map, touch, unmap. */
#include <stdlib.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
    unsigned mib = argc > 1 ? (unsigned)atoi(argv[1]) : 16;
    unsigned rounds = argc > 2 ? (unsigned)atoi(argv[2]) : 1;
    unsigned len = mib << 20;
    for (unsigned r = 0; r < rounds; r++) {
        volatile char *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return 1;
        for (unsigned off = 0; off < len; off += 4096)
            p[off] = 1;
        if (r + 1 < rounds)
            munmap((void *)p, len);
    }
    return 0;
}
