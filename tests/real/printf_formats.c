/* printf: every conversion, flag, width and precision, integers and
 * floating point (double and long double), and snprintf's return value.
 * Output is compared byte for byte with the native run; an exit code > 0
 * names the check of snprintf/%n that failed. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const double doubles[] = {
    0.0, -0.0, 1.0, -1.0, 0.5, 1.5, 2.5, 0.1, 1.0 / 3.0, 2.0 / 3.0,
    123456.789, -9876.54321, 1e-5, 1e-300, 5e-324, 2.2250738585072014e-308,
    1e15, 1e16, 1e21, 1e300, 1.7976931348623157e308, 3.141592653589793,
    2.718281828459045, 0.125, 1023.999, 999999.5, 0.000123456,
};

int main(void)
{
    /* integers */
    printf("[%d] [%i] [%u] [%x] [%X] [%o] [%c] [%%]\n", 42, -42, 42u, 0xbeefu, 0xbeefu, 8u, 'A');
    printf("[%5d] [%-5d] [%05d] [%+d] [% d] [%+5d] [%-+5d]\n", 42, 42, 42, 42, 42, -42, 42);
    printf("[%.3d] [%8.3d] [%-8.3d] [%.0d] [%#x] [%#o] [%#X] [%#.0o]\n", 7, 7, 7, 0, 255u, 8u, 255u, 0u);
    printf("[%*d] [%-*d] [%.*d] [%*.*d]\n", 6, 1, 6, 2, 4, 3, 7, 5, 4);
    printf("[%d] [%d] [%u] [%x]\n", INT_MAX, INT_MIN, UINT_MAX, UINT_MAX);
    printf("[%ld] [%lu] [%lx]\n", LONG_MAX, ULONG_MAX, (unsigned long)LONG_MIN);
    printf("[%lld] [%lld] [%llu] [%llx] [%llo]\n", LLONG_MAX, LLONG_MIN, ULLONG_MAX, 0x123456789abcdefULL, 01234567012345670123ULL);
    printf("[%hhd] [%hhu] [%hd] [%hu] [%hhx]\n", (signed char)-1, (unsigned char)255, (short)-32768, (unsigned short)65535, (unsigned char)0xab);
    printf("[%zu] [%zd] [%td] [%jd] [%ju]\n", (size_t)123, (ptrdiff_t)-5, (ptrdiff_t)77, (intmax_t)-1234567890123LL, (uintmax_t)18446744073709551615ULL);
    /* strings and characters */
    printf("[%s] [%10s] [%-10s] [%.3s] [%10.2s] [%-10.4s] [%s]\n", "hello", "hi", "hi", "abcdef", "abcdef", "abcdef", "");
    printf("[%c%c%c] [%5c] [%-5c]\n", 'x', 'y', 'z', '!', '?');
    printf("[%p] [%p]\n", (void *)0, (void *)0x1234);
    /* floating point */
    for (size_t i = 0; i < sizeof doubles / sizeof doubles[0]; i++) {
        double d = doubles[i];
        printf("%zu: f[%f] .0f[%.0f] .2f[%.2f] e[%e] .3e[%.3e] g[%g] .10g[%.10g] .17g[%.17g] a[%a] A[%A]\n",
               i, d, d, d, d, d, d, d, d, d, d);
        printf("%zu: [%12.4f] [%-12.4f] [%+.3e] [% g] [%#g] [%#.0f] [%012.3f] [%G] [%E] [%.0e] [%.1a]\n",
               i, d, d, d, d, d, d, d, d, d, d, d);
    }
    printf("[%f] [%f] [%e] [%g] [%F] [%a] [%5.1f] [%-8f|]\n", INFINITY, -INFINITY, NAN, -NAN, INFINITY, INFINITY, NAN, INFINITY);
    printf("[%.20f] [%.30e] [%.60f]\n", 0.1, 1.0 / 7.0, 1e-50);
    printf("[%.0f] [%.0f] [%.0f] [%.0f] [%.1f] [%.1f] [%.2f]\n", 0.5, 1.5, 2.5, -0.5, 0.05, 0.25, 1.005);
    printf("[%f] [%.3f]\n", 1e20, 123456789012345678.0);
    float fl = 3.14159f;
    printf("[%f] [%.9g] [%a]\n", fl, fl, fl);
    /* long double */
    long double ld[] = {1.0L, 1.0L / 3.0L, -0.1L, 1e-4000L, 1e4000L, 3.14159265358979323846264338327950288L, 0.0L};
    for (size_t i = 0; i < sizeof ld / sizeof ld[0]; i++) {
        printf("L%zu: [%.21Lg] [%Le] [%La] [%LA] [%20.3Le]", i, ld[i], ld[i], ld[i], ld[i], ld[i]);
        if (fabsl(ld[i]) < 1e30L)
            printf(" [%Lf] [%.25Lf]", ld[i], ld[i]);
        printf("\n");
    }
    printf("[%.0Lf] [%.40Lf]\n", 1e25L, 1.0L / 3.0L);
    /* snprintf and %n */
    char buf[16];
    int n = snprintf(buf, sizeof buf, "%s-%d-%f", "truncate-me", 12345, 1.5);
    printf("snprintf: %d [%s]\n", n, buf);
    if (n != 26)
        return 1;
    if (strlen(buf) != 15)
        return 2;
    n = snprintf(NULL, 0, "%lld", LLONG_MIN);
    if (n != 20)
        return 3;
    int where = -1;
    printf("abc%n def\n", &where);
    if (where != 3)
        return 4;
    n = printf("%s\n", "return value");
    if (n != 13)
        return 5;
    /* fprintf to stderr, which the harness compares too */
    fprintf(stderr, "stderr: %d %.3f %s\n", -7, 2.0 / 3.0, "done");
    return 0;
}
