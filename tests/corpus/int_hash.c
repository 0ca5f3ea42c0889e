// int_hash.c - hash functions: CRC-32 (bitwise and table), FNV-1a, djb2, Adler-32, MurmurHash3 finaliser with rotates.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)

static uint32_t crc_table[256];

static uint32_t crc32_bitwise(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & -(c & 1));
    }
    return ~c;
}

static uint32_t crc32_table(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    while (n--)
        c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    while (n--)
        h = (h ^ *p++) * 16777619u;
    return h;
}

static uint64_t fnv1a64(const uint8_t *p, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    while (n--)
        h = (h ^ *p++) * 1099511628211ull;
    return h;
}

static uint32_t djb2(const uint8_t *p, size_t n)
{
    uint32_t h = 5381;
    while (n--)
        h = ((h << 5) + h) + *p++;
    return h;
}

static uint32_t adler32(const uint8_t *p, size_t n)
{
    uint32_t a = 1, b = 0;
    while (n--) {
        a = (a + *p++) % 65521;
        b = (b + a) % 65521;
    }
    return (b << 16) | a;
}

static uint32_t rotl(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

static uint32_t murmur3(const uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t h = seed;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        uint32_t k;
        memcpy(&k, p + i, 4);
        k *= 0xcc9e2d51u;
        k = rotl(k, 15);
        k *= 0x1b873593u;
        h ^= k;
        h = rotl(h, 13);
        h = h * 5 + 0xe6546b64u;
    }
    uint32_t k = 0;
    switch (n & 3) {
    case 3: k ^= (uint32_t)p[i + 2] << 16; /* fall through */
    case 2: k ^= (uint32_t)p[i + 1] << 8;  /* fall through */
    case 1: k ^= p[i];
        k *= 0xcc9e2d51u;
        k = rotl(k, 15);
        k *= 0x1b873593u;
        h ^= k;
    }
    h ^= (uint32_t)n;
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

int main(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
    const uint8_t *check = (const uint8_t *)"123456789";
    printf("crc32(\"123456789\") = %08x\n", crc32_table(check, 9));
    CHECK(crc32_table(check, 9) == 0xcbf43926u, 1);
    CHECK(crc32_bitwise(check, 9) == 0xcbf43926u, 2);
    CHECK(adler32((const uint8_t *)"Wikipedia", 9) == 0x11e60398u, 3);
    CHECK(fnv1a((const uint8_t *)"", 0) == 0x811c9dc5u, 4);

    static uint8_t buf[8192];
    uint32_t s = 7;
    for (size_t i = 0; i < sizeof buf; i++) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        buf[i] = (uint8_t)s;
    }
    for (size_t n = 0; n <= sizeof buf; n += 1021)
        CHECK(crc32_bitwise(buf, n) == crc32_table(buf, n), 5);
    printf("8 KiB of xorshift bytes:\n");
    printf("  crc32   %08x\n", crc32_table(buf, sizeof buf));
    printf("  fnv1a   %08x\n", fnv1a(buf, sizeof buf));
    printf("  fnv1a64 %016llx\n", (unsigned long long)fnv1a64(buf, sizeof buf));
    printf("  djb2    %08x\n", djb2(buf, sizeof buf));
    printf("  adler32 %08x\n", adler32(buf, sizeof buf));
    for (uint32_t n = 0; n < 8; n++)
        printf("  murmur3(first %u bytes, seed %u) %08x\n", n * 3, n, murmur3(buf, n * 3, n));
    return 0;
}
