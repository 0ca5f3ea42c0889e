// fpe_divzero.c - integer division by zero raises #DE and the process dies of SIGFPE (status 136).
#include <stdio.h>

static volatile int zero = 0;

int main(void)
{
    int n = 1000;
    printf("1000 / 10 = %d\n", n / 10);
    printf("dividing by zero...\n");
    n = n / zero;
    printf("got %d: should not get here\n", n);
    return 1;
}
