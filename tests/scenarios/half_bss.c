/* Initialised data and .bss share a page: file bytes first, zeroes after. */
#include <stdio.h>

int data[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
int bss[2048];

int main(void)
{
    int ok = 1;
    for (int i = 0; i < 8; i++)
        ok &= data[i] == i + 1;
    int zero = 1;
    for (int i = 0; i < 2048; i++)
        zero &= bss[i] == 0;
    printf("data %s, bss %s\n", ok ? "ok" : "BAD", zero ? "zero" : "DIRTY");
    return 0;
}
