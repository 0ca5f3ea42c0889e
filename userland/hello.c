/* hello.c - the smallest program: one line on stdout, exit status 0. */
#include <stdio.h>

int main(void)
{
    printf("Hello from toyemu!\n");
    return 0;
}
