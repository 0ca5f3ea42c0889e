// segv_text.c - writing over the program's own code (.text, read+execute only) dies of SIGSEGV (status 139).
#include <stdint.h>
#include <stdio.h>

static int victim(int x)
{
    return x * 3 + 1;
}

int main(void)
{
    volatile uint8_t *code = (volatile uint8_t *)(uintptr_t)victim;
    uint8_t first = code[0];                         /* reading code is fine */
    printf("victim(4) = %d; its first byte is readable: %s\n", victim(4), first == code[0] ? "yes" : "no");
    printf("writing over the code of victim()...\n");
    code[0] = 0xc3;
    printf("should not get here\n");
    return 1;
}
