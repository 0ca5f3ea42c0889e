/* A 64 MiB anonymous mapping touched on three pages costs three frames. */
#include <stdio.h>
#include <sys/mman.h>

int main(void)
{
    unsigned len = 64u << 20;
    char *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 1;
    p[0] = 1;
    p[len / 2] = 2;
    p[len - 1] = 3;
    printf("%d\n", p[0] + p[len / 2] + p[len - 1]);
    return 0;   /* exit without munmap: teardown must return the frames */
}
