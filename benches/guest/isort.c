/* Integer work: insertion sort of 2048 keys from an xorshift generator,
 * argv[1] times, each round seeded from the last round's result.  Prints a
 * hash of the sorted keys. */
#include <stdio.h>
#include <stdlib.h>

#define N 2048
static unsigned keys[N];

int main(int argc, char **argv)
{
    unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 10;
    unsigned seed = 2463534242u, h = 0;
    for (unsigned r = 0; r < rounds; r++) {
        unsigned x = seed ^ h;
        for (unsigned i = 0; i < N; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            keys[i] = x;
        }
        for (unsigned i = 1; i < N; i++) {
            unsigned k = keys[i], j = i;
            while (j > 0 && keys[j - 1] > k) {
                keys[j] = keys[j - 1];
                j--;
            }
            keys[j] = k;
        }
        for (unsigned i = 0; i < N; i += 64)
            h = (h * 31) ^ keys[i];
    }
    printf("isort %u rounds: %08x\n", rounds, h);
    return 0;
}
