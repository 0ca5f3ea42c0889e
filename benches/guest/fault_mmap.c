/* Demand-zero faults in a loop over mmap: argv[1] rounds of mapping 4 MiB
 * anonymously, writing one byte in each of its 1024 pages (a fault each),
 * reading them back and unmapping it, so frames are handed back and taken
 * again as in a long-running program.  Prints the sum read back. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define LEN (4u << 20)

int main(int argc, char **argv)
{
    unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 10;
    unsigned sum = 0;
    for (unsigned r = 0; r < rounds; r++) {
        volatile unsigned char *p =
            mmap(0, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            printf("mmap failed in round %u\n", r);
            return 1;
        }
        for (unsigned off = 0; off < LEN; off += 4096)
            p[off] = (unsigned char)(off >> 12) + (unsigned char)r;
        for (unsigned off = 0; off < LEN; off += 4096)
            sum += p[off + (off >> 12 & 4095)] + p[off];
        munmap((void *)p, LEN);
    }
    printf("fault_mmap %u rounds: %u\n", rounds, sum);
    return 0;
}
