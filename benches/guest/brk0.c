/* Call brk(0) argv[1] times through the raw syscall: the syscall round
 * trip.  Prints how many calls agreed with the first (where the break
 * starts differs between runners, so it is not printed). */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 1000000;
    unsigned first = 0, same = 0;
    for (unsigned i = 0; i < n; i++) {
        unsigned r;
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(45), "b"(0) : "memory");
        if (i == 0)
            first = r;
        same += r == first;
    }
    printf("brk0 %u calls: %u the same\n", n, same);
    return 0;
}
