// str_libc.c - the libc's string functions: memmove overlapping both ways at many sizes/offsets, memcpy/memset/memcmp, str* functions, strtol/strtoul/strtoll edge cases and errno.
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)

static uint8_t buf[300], ref[300];

static void fill(void)
{
    for (int i = 0; i < 300; i++)
        buf[i] = ref[i] = (uint8_t)(i * 11 + 5);
}

/* byte-by-byte reference of memmove on ref */
static void ref_move(int dst, int src, int n)
{
    uint8_t tmp[300];
    for (int i = 0; i < n; i++)
        tmp[i] = ref[src + i];
    for (int i = 0; i < n; i++)
        ref[dst + i] = tmp[i];
}

int main(void)
{
    uint32_t h = 0;
    for (int n = 0; n <= 70; n += 1 + n / 8)
        for (int src = 0; src < 9; src++)
            for (int shift = -9; shift <= 9; shift++) {
                int dst = 100 + src + shift;
                fill();
                memmove(buf + dst, buf + 100 + src, n);
                ref_move(dst, 100 + src, n);
                CHECK(memcmp(buf, ref, sizeof buf) == 0, 1);
                h = h * 31 + buf[dst + n / 2];
            }
    fill();
    memcpy(buf + 1, buf + 150, 37);
    CHECK(memcmp(buf + 1, ref + 150, 37) == 0, 2);
    fill();
    memset(buf + 3, 0x5a, 0);
    CHECK(buf[3] == ref[3], 3);
    memset(buf + 3, 0x15a, 61);
    CHECK(buf[3] == 0x5a && buf[63] == 0x5a && buf[64] == ref[64] && buf[2] != 0x5a, 4);
    CHECK(memcmp("abc", "abd", 3) < 0 && memcmp("abc", "abc", 3) == 0 && memcmp("\xff", "\x01", 1) > 0, 5);

    CHECK(strlen("") == 0 && strlen("hello") == 5, 6);
    CHECK(strcmp("abc", "abd") < 0 && strcmp("abc", "ab") > 0 && strcmp("", "") == 0, 7);
    CHECK(strcmp("\x80", "a") > 0, 8);                   /* compared as unsigned char */
    CHECK(strncmp("abcdef", "abcxyz", 3) == 0 && strncmp("abcdef", "abcxyz", 4) < 0, 9);
    char s[64];
    strcpy(s, "hello");
    strcat(s, ", ");
    strcat(s, "world");
    CHECK(strcmp(s, "hello, world") == 0, 10);
    memset(s, 'Z', sizeof s);
    strncpy(s, "abc", 6);
    CHECK(memcmp(s, "abc\0\0\0Z", 7) == 0, 11);         /* padded with NULs to n */
    strncpy(s, "abcdefgh", 4);
    CHECK(memcmp(s, "abcd\0", 5) == 0, 12);              /* not terminated when too long */
    const char *p = "mississippi";
    CHECK(strchr(p, 's') == p + 2 && strrchr(p, 's') == p + 6 && strchr(p, 'z') == NULL, 13);
    CHECK(strchr(p, 0) == p + 11 && strrchr(p, 'm') == p, 14);
    CHECK(strstr(p, "issip") == p + 4 && strstr(p, "") == p && strstr(p, "pix") == NULL, 15);
    CHECK(strstr(p, "ppi") == p + 8 && strstr("aaab", "aab") != NULL, 16);
    char *d = strdup(p);
    CHECK(d && d != p && strcmp(d, p) == 0, 17);
    free(d);

    char *end;
    errno = 0;
    CHECK(strtol("  -12345xyz", &end, 10) == -12345 && *end == 'x' && errno == 0, 20);
    CHECK(strtol("0x1F", &end, 0) == 31 && *end == 0, 21);
    CHECK(strtol("0x1F", &end, 16) == 31, 22);
    CHECK(strtol("017", &end, 0) == 15 && strtol("017", NULL, 10) == 17, 23);
    CHECK(strtol("0x", &end, 16) == 0 && *end == 'x', 24);       /* "0" parsed, 'x' left */
    CHECK(strtol("zz", &end, 36) == 1295, 25);
    CHECK(strtol("   ", &end, 10) == 0 && end[0] == ' ', 26);    /* nothing: end = start */
    CHECK(strtol("+42", NULL, 10) == 42 && strtol("-0", NULL, 10) == 0, 27);
    errno = 0;
    CHECK(strtol("2147483647", NULL, 10) == LONG_MAX && errno == 0, 28);
    CHECK(strtol("2147483648", NULL, 10) == LONG_MAX && errno == ERANGE, 29);
    errno = 0;
    CHECK(strtol("-2147483648", NULL, 10) == LONG_MIN && errno == 0, 30);
    CHECK(strtol("-2147483649", NULL, 10) == LONG_MIN && errno == ERANGE, 31);
    errno = 0;
    CHECK(strtoul("4294967295", NULL, 10) == ULONG_MAX && errno == 0, 32);
    CHECK(strtoul("4294967296", NULL, 10) == ULONG_MAX && errno == ERANGE, 33);
    errno = 0;
    CHECK(strtoul("-1", NULL, 10) == ULONG_MAX && errno == 0, 34);   /* negated, as C says */
    CHECK(strtoll("-9223372036854775808", NULL, 10) == LLONG_MIN && errno == 0, 35);
    CHECK(strtoll("9223372036854775808", NULL, 10) == LLONG_MAX && errno == ERANGE, 36);
    errno = 0;
    CHECK(strtoull("0xffffffffffffffff", NULL, 0) == ULLONG_MAX && errno == 0, 37);
    CHECK(strtoull("99999999999999999999", NULL, 10) == ULLONG_MAX && errno == ERANGE, 38);
    CHECK(atoi("  -77abc") == -77 && atoi("") == 0, 39);
    CHECK(strtol("11111111", NULL, 2) == 255 && strtol("777", NULL, 8) == 511, 40);

    printf("memmove checksum %08x\n", h);
    printf("strtol(\"-2147483649\") = %ld, strtoul(\"-1\") = %lu, strtoll(LLONG_MIN) = %lld\n",
           strtol("-2147483649", NULL, 10), strtoul("-1", NULL, 10),
           strtoll("-9223372036854775808", NULL, 10));
    printf("strings agree\n");
    return 0;
}
