/* heap_damage.c - writes past the end of a block, over the header of the
 * next chunk, and exits without freeing: the report's heap walk must stop
 * there and say so (tests/report.rs), not fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    char *a = malloc(40);
    char *b = malloc(40);
    memset(a, 'A', 64);                     /* a's chunk is 64 bytes: 8 too many */
    printf("heap_damage: wrote 64 bytes into a 40-byte block; b is %s\n", b ? "allocated" : "NULL");
    return 0;
}
