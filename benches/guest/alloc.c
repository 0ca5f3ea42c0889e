/* Allocation-heavy work: a pool of 512 slots, argv[1] rounds; each round
 * frees a pseudo-random slot and mallocs it again with a new size (16 to
 * 1039 bytes), fills the block and reads part of it back, as programs that
 * build and drop small objects do. Prints a checksum. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 512

static char *slot[SLOTS];
static unsigned size[SLOTS];

int main(int argc, char **argv)
{
    unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 10000;
    unsigned x = 1, sum = 0;
    for (unsigned r = 0; r < rounds; r++) {
        x = x * 1103515245u + 12345u;
        unsigned i = (x >> 16) % SLOTS;
        free(slot[i]);
        size[i] = 16 + (x >> 8) % 1024;
        slot[i] = malloc(size[i]);
        memset(slot[i], (int)r, size[i]);
        for (unsigned j = 0; j < size[i]; j += 64)
            sum += (unsigned char)slot[i][j];
    }
    for (unsigned i = 0; i < SLOTS; i++)
        free(slot[i]);
    printf("alloc %u rounds: %08x\n", rounds, sum);
    return 0;
}
