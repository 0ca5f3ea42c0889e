/* Demand-zero faults in a loop over brk: argv[1] rounds of moving the break
 * up 4 MiB, writing one byte in each new page (a fault each), reading them
 * back and moving the break down again, which frees those frames.  Uses the
 * raw system call (Linux's brk returns the new break).  Prints the sum read
 * back. */
#include <stdio.h>
#include <stdlib.h>

#define LEN (4u << 20)

static unsigned sys_brk(unsigned addr)
{
    unsigned r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(45), "b"(addr) : "memory");
    return r;
}

int main(int argc, char **argv)
{
    unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 10;
    unsigned base = (sys_brk(0) + 4095) & ~4095u, sum = 0;
    for (unsigned r = 0; r < rounds; r++) {
        if (sys_brk(base + LEN) != base + LEN) {
            printf("brk failed in round %u\n", r);
            return 1;
        }
        volatile unsigned char *p = (volatile unsigned char *)base;
        for (unsigned off = 0; off < LEN; off += 4096)
            p[off] = (unsigned char)(off >> 12) + (unsigned char)r;
        for (unsigned off = 0; off < LEN; off += 4096)
            sum += p[off + (off >> 12 & 4095)] + p[off];
        sys_brk(base);
    }
    printf("fault_brk %u rounds: %u\n", rounds, sum);
    return 0;
}
