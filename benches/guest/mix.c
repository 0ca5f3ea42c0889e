/* Integer work, a mix: a sieve, an FNV hash of it and an insertion sort of
 * keys drawn from the hash, repeated argv[1] times.  Prints the hash. */
#include <stdio.h>
#include <stdlib.h>

static unsigned char sieve[1 << 16];
static unsigned keys[4096];

int main(int argc, char **argv)
{
    unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 10;
    unsigned h = 2166136261u;
    for (unsigned r = 0; r < rounds; r++) {
        for (unsigned i = 0; i < sizeof sieve; i++)
            sieve[i] = 1;
        for (unsigned i = 2; i * i < sizeof sieve; i++)
            if (sieve[i])
                for (unsigned j = i * i; j < sizeof sieve; j += i)
                    sieve[j] = 0;
        for (unsigned i = 0; i < sizeof sieve; i++)
            h = (h ^ sieve[i]) * 16777619u;
        for (unsigned i = 0; i < 4096; i++)
            keys[i] = (i * 2654435761u) ^ h;
        for (unsigned i = 1; i < 4096; i++) {
            unsigned k = keys[i], j = i;
            while (j > 0 && keys[j - 1] > k) {
                keys[j] = keys[j - 1];
                j--;
            }
            keys[j] = k;
        }
        h ^= keys[r % 4096];
    }
    printf("mix %u rounds: %08x\n", rounds, h);
    return 0;
}
