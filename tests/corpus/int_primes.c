// int_primes.c - sieve of Eratosthenes on a bit array, trial division, prime counting and twin primes.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)
#define LIMIT 200000

static uint32_t composite[LIMIT / 32 + 1];

static int is_composite(unsigned n) { return (composite[n >> 5] >> (n & 31)) & 1; }
static void mark(unsigned n) { composite[n >> 5] |= 1u << (n & 31); }

static int trial(unsigned n)
{
    if (n < 2)
        return 0;
    for (unsigned d = 2; d * d <= n; d++)
        if (n % d == 0)
            return 0;
    return 1;
}

int main(void)
{
    mark(0);
    mark(1);
    for (unsigned i = 2; i * i < LIMIT; i++)
        if (!is_composite(i))
            for (unsigned j = i * i; j < LIMIT; j += i)
                mark(j);

    unsigned count = 0, twins = 0, last = 0;
    uint64_t sum = 0;
    for (unsigned n = 0; n < LIMIT; n++) {
        if (is_composite(n))
            continue;
        count++;
        sum += n;
        if (last && n - last == 2)
            twins++;
        last = n;
    }
    printf("primes below %d: %u, sum %llu, twin pairs %u, largest %u\n",
           LIMIT, count, (unsigned long long)sum, twins, last);
    CHECK(count == 17984, 1);

    unsigned agree = 0;
    for (unsigned n = 0; n < 5000; n++)
        agree += trial(n) == !is_composite(n);
    CHECK(agree == 5000, 2);

    unsigned checked = 0;
    for (unsigned n = 4; n <= 2000; n += 2) {          /* Goldbach, small */
        unsigned p;
        for (p = 2; p <= n / 2; p++)
            if (!is_composite(p) && !is_composite(n - p))
                break;
        CHECK(p <= n / 2, 3);
        checked++;
    }
    printf("trial division agrees on %u numbers; Goldbach holds for %u even numbers\n", agree, checked);
    return 0;
}
