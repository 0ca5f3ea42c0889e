/* strtol/strtoul/strtoll/strtoull/strtod/strtof/strtold/atof/atoi: bases,
 * signs, overflow (ERANGE), end pointers, hex floats, inf/nan, subnormals,
 * and decimal strings that are hard to round. Each result is printed, the
 * doubles with %.17g and %a so rounding must match bit for bit. Exit codes:
 * 1 errno not ERANGE on overflow, 2 wrong end pointer, 3 atoi/atol wrong. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void ints(const char *s, int base)
{
    char *end;
    errno = 0;
    long l = strtol(s, &end, base);
    int e1 = errno;
    errno = 0;
    unsigned long ul = strtoul(s, NULL, base);
    int e2 = errno;
    errno = 0;
    long long ll = strtoll(s, NULL, base);
    int e3 = errno;
    errno = 0;
    unsigned long long ull = strtoull(s, NULL, base);
    int e4 = errno;
    printf("%-24s base %2d: l=%ld(%d) ul=%lu(%d) ll=%lld(%d) ull=%llu(%d) end+%d\n", s, base, l, e1, ul, e2, ll, e3,
           ull, e4, (int)(end - s));
}

static void dbl(const char *s)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    int e = errno;
    errno = 0;
    float f = strtof(s, NULL);
    int ef = errno;
    long double ld = strtold(s, NULL);
    printf("%-28s d=%.17g %a (%d) end+%d f=%.9g %a (%d) ld=%.21Lg %La\n", s, d, d, e, (int)(end - s), f, f, ef, ld, ld);
}

int main(void)
{
    const char *is[] = {"0", "42", "-42", "  +17xyz", "0x1F", "0X1f", "077", "0b101", "2147483647", "2147483648",
                        "-2147483648", "-2147483649", "4294967295", "4294967296", "9223372036854775807",
                        "9223372036854775808", "-9223372036854775808", "18446744073709551615",
                        "18446744073709551616", "-1", "zzzz", "", "   ", "-", "0x", "1e5", "\t\n 123"};
    int bases[] = {0, 10, 16, 8, 2, 36};
    for (size_t i = 0; i < sizeof is / sizeof is[0]; i++)
        ints(is[i], 0);
    for (size_t b = 1; b < sizeof bases / sizeof bases[0]; b++) {
        ints("zz", bases[b]);
        ints("101", bases[b]);
        ints("-7fffffff", bases[b]);
    }
    const char *ds[] = {"0", "-0", "1", "0.1", "0.5", "1e10", "1.5e-10", "  3.14159xyz", "1e308", "1e309",
                        "-1e309", "1e-320", "4.9e-324", "2e-324", "1e-400", "2.2250738585072011e-308",
                        "2.2250738585072012e-308", "0x1p-1074", "0x1.fffffffffffffp1023", "0x1.8p1", "0X.8P0",
                        "inf", "-INF", "infinity", "nan", "NAN(123)", "-nan", ".5", "5.", ".", "e5",
                        "123456789012345678901234567890", "9007199254740993", "1.00000000000000011102230246251565404236316680908203125",
                        "0.1e+", "3.4028235e38", "3.4028236e38", "1e-46", "7.0e-46", "1.17549435e-38",
                        "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497791.9999999999999"};
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++)
        dbl(ds[i]);
    errno = 0;
    strtol("99999999999999999999", NULL, 10);
    if (errno != ERANGE)
        return 1;
    errno = 0;
    strtod("1e999", NULL);
    if (errno != ERANGE)
        return 1;
    char *end;
    strtod("12.5abc", &end);
    if (strcmp(end, "abc") != 0)
        return 2;
    strtol("  -0x10g", &end, 16);
    if (*end != 'g')
        return 2;
    if (atoi("  -123abc") != -123 || atol("2147483647") != 2147483647L || atoll("-9000000000") != -9000000000LL)
        return 3;
    printf("atof: %.17g %.17g %.17g\n", atof("2.5"), atof("-1e-5"), atof("junk"));
    return 0;
}
