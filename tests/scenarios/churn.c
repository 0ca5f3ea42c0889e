/* churn.c - a long run of memory events, for `toyemu run --html`
 * (tests/html/main.rs): ROUNDS times (argv[1], default 1000) map 64
 * pages, write one byte to each (64 zero-fill faults), and unmap them
 * (64 frames freed), with a malloc'd block kept every 64th round. About
 * 200 trace events a round: 50,000 rounds make ten million. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define PAGES 64

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? atol(argv[1]) : 1000;
    long touched = 0;
    for (long r = 0; r < rounds; r++) {
        char *p = mmap(NULL, PAGES * 4096, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return 1;
        for (int i = 0; i < PAGES; i++, touched++)
            p[i * 4096] = (char)r;
        munmap(p, PAGES * 4096);
        if (r % 64 == 0 && !malloc(100))
            return 2;
    }
    printf("churn: %ld rounds, %ld pages touched\n", rounds, touched);
    return 0;
}
