/* Integer work: the sieve of Eratosthenes over a byte array, argv[1] times,
 * the limit a little different each time so no round repeats the last.
 * Prints the primes counted and a hash of their positions. */
#include <stdio.h>
#include <stdlib.h>

#define LIMIT (1u << 18)
static unsigned char composite[LIMIT];

int main(int argc, char **argv)
{
    unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 10;
    unsigned total = 0, h = 0;
    for (unsigned r = 0; r < rounds; r++) {
        unsigned n = LIMIT - (r & 1023);
        for (unsigned i = 0; i < n; i++)
            composite[i] = 0;
        for (unsigned i = 2; i * i < n; i++)
            if (!composite[i])
                for (unsigned j = i * i; j < n; j += i)
                    composite[j] = 1;
        for (unsigned i = 2; i < n; i++)
            if (!composite[i]) {
                total++;
                h = (h << 5 | h >> 27) ^ i;
            }
    }
    printf("sieve %u rounds: %u primes, %08x\n", rounds, total, h);
    return 0;
}
