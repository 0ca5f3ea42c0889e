/* touch.c - map N MiB (argv[1]) and write one byte in each of its pages:
 * N * 256 pages that must cost the host about N MiB, no more. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
    long mib = argc > 1 ? atol(argv[1]) : 1;
    char *p = mmap(0, mib << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 1;
    for (long i = 0; i < mib << 20; i += 4096)
        p[i] = 1;
    printf("touched %ld pages\n", (mib << 20) / 4096);
    return 0;
}
