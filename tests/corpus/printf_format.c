// printf_format.c - printf/snprintf formatting: widths, flags - 0 + space #, precision, h/hh/l/ll/z modifiers, INT_MIN, LLONG_MIN, %p, %s of NULL, truncation and return values.
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)

static int check_fmt(const char *want, const char *got)
{
    if (strcmp(want, got) != 0) {
        printf("mismatch: want [%s] got [%s]\n", want, got);
        return 0;
    }
    return 1;
}

/* kept out of gcc's sight so -Wformat does not object to them */
static char *volatile null_string = NULL;
static const char *volatile zero_and_precision = "%08.3d|%-8x|";

int main(void)
{
    char b[128];
    int n;
#define T(code, want, ...) do { snprintf(b, sizeof b, __VA_ARGS__); CHECK(check_fmt(want, b), code); } while (0)
    T(1, "42", "%d", 42);
    T(2, "-42", "%i", -42);
    T(3, "-2147483648", "%d", INT_MIN);
    T(4, "2147483647", "%d", INT_MAX);
    T(5, "4294967295", "%u", UINT_MAX);
    T(6, "0", "%x", 0);
    T(7, "deadbeef DEADBEEF", "%x %X", 0xdeadbeefu, 0xdeadbeefu);
    T(8, "[   42]", "[%5d]", 42);
    T(9, "[42   ]", "[%-5d]", 42);
    T(10, "[00042]", "[%05d]", 42);
    T(11, "[-0042]", "[%05d]", -42);
    T(12, "[  -42]", "[%5d]", -42);
    T(13, "[+42] [ 42]", "[%+d] [% d]", 42, 42);
    T(14, "[  042]", "[%5.3d]", 42);
    T(15, "[]", "[%.0d]", 0);
    T(16, "[0x1f] [0X1F] [0]", "[%#x] [%#X] [%#x]", 31, 31, 0);
    T(17, "[017] [0]", "[%#o] [%o]", 15, 0);
    T(18, "[hello] [  hello] [hello  ] [hel]", "[%s] [%7s] [%-7s] [%.3s]", "hello", "hello", "hello", "hello");
    T(19, "[(null)]", "[%s]", null_string);
    T(20, "[c] [  c] [c  ]", "[%c] [%3c] [%-3c]", 'c', 'c', 'c');
    T(21, "100%", "%d%%", 100);
    T(22, "[ab   ] [   ab]", "[%-*s] [%*s]", 5, "ab", 5, "ab");
    T(23, "[   ab]", "[%*.*s]", 5, 2, "abcdef");
    T(24, "-1 255 -1 65535", "%hhd %hhu %hd %hu", 255, 255, 65535, 65535);
    T(25, "-9223372036854775808", "%lld", LLONG_MIN);
    T(26, "18446744073709551615", "%llu", ULLONG_MAX);
    T(27, "12345678901234567890", "%llu", 12345678901234567890ull);
    T(28, "ffffffffffffffff", "%llx", ULLONG_MAX);
    T(29, "-1 4294967295 123", "%ld %lu %zu", -1L, 4294967295UL, (size_t)123);
    T(30, "(nil)", "%p", (void *)0);
    T(31, "0x1000 0xdeadbeef", "%p %p", (void *)0x1000, (void *)0xdeadbeef);
    T(32, "[     (nil)]", "[%10p]", (void *)0);
    T(33, "[0000000000000042]", "[%016llx]", 0x42ull);
    T(34, "[-0000000000000001]", "[%017lld]", -1ll);
    T(36, "[  +0]", "[%+4d]", 0);

    n = snprintf(b, 5, "%s", "truncate me");
    CHECK(n == 11 && strcmp(b, "trun") == 0, 40);
    n = snprintf(NULL, 0, "%d-%d", 123, -456);
    CHECK(n == 8, 41);
    b[0] = 'q';
    n = snprintf(b, 1, "abc");
    CHECK(n == 3 && b[0] == 0, 42);
    n = sprintf(b, zero_and_precision, 7, 255);      /* '0' is ignored with a precision */
    CHECK(n == 18 && strcmp(b, "     007|ff      |") == 0, 43);

    /* and the same through printf itself, to stdout */
    n = printf("[%d] [%5d] [%-5d] [%05d] [%x] [%X] [%u]\n", INT_MIN, -7, -7, -7, 0, 0xabcu, 3000000000u);
    printf("that line was %d characters\n", n);
    printf("%llu %lld %llx %lld\n", 18446744073709551615ull, -1234567890123456789ll,
           0x0123456789abcdefull, 0ll);
    printf("%s|%10s|%-10s|%.2s|%c%c%c\n", "str", "right", "left", "truncated", 'a', 'b', 'c');
    printf("%p %p\n", (void *)0, (void *)0x8048000);
    long long big = 1;
    for (int i = 0; i < 63; i++) {
        if (i % 9 == 0)
            printf("2^%d = %lld, -2^%d = %lld\n", i, big, i, -big);
        big *= 2;
    }
    fprintf(stdout, "fprintf to stdout %d\n", 1);
    dprintf(1, "dprintf to fd 1 %s\n", "works");
    puts("puts adds a newline");
    putchar('!');
    putchar('\n');
    return 0;
}
