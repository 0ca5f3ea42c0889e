/* Touch memory until the machine runs out of frames: the OOM killer ends it. */
#include <stdio.h>
#include <sys/mman.h>

int main(void)
{
    for (unsigned i = 0;; i++) {
        char *p = mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            printf("mmap failed after %u MiB\n", i);
            return 1;
        }
        for (unsigned off = 0; off < (1u << 20); off += 4096)
            p[off] = 1;
    }
}
