// fpe_intmin.c - INT_MIN / -1 overflows the quotient; idiv raises #DE and the process dies of SIGFPE (status 136), as on real hardware.
#include <limits.h>
#include <stdio.h>

static volatile int minus_one = -1;
static volatile int int_min = INT_MIN;

int main(void)
{
    printf("INT_MIN / 1 = %d\n", int_min / 1);
    printf("computing INT_MIN / -1...\n");
    int q = int_min / minus_one;
    printf("got %d: should not get here\n", q);
    return 1;
}
