/* Call brk(0) argv[1] times through the raw syscall: the syscall round trip. */
#include <stdlib.h>

int main(int argc, char **argv)
{
    unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 1000000;
    unsigned last = 0;
    for (unsigned i = 0; i < n; i++) {
        unsigned r;
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(45), "b"(0) : "memory");
        last ^= r;
    }
    return last == 1;
}
