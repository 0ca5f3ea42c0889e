/* The long double functions of <math.h> that are an x87 transcendental
 * instruction or two (fsin fcos fptan fpatan fyl2x fyl2xp1 f2xm1 fscale),
 * on values across their ranges, printed exactly with %La.
 *
 * Intel documents these instructions as accurate to within 1 ulp, not as
 * correctly rounded, and AMD and Intel CPUs differ in the last bit; toyemu
 * rounds them correctly. So tests/real_programs.rs compares this program's
 * lines allowing a difference of 1 ulp in the result (everything else in
 * the line must be equal), and says how many lines needed it. */
#include <math.h>
#include <stdio.h>

static volatile long double vl[] = {0.0L,   -0.0L, 1e-10L, 0.1L,  0.5L,  0.75L, 1.0L,
                                    1.5L,   2.0L,  3.0L,   10.0L, 100.0L, 1e10L, -2.5L,
                                    -0.3L,  3.14159265358979323846L, 1e-4940L, 12345.678L};

#define L(name, expr) printf("%-8s %La = %La\n", name, x, (long double)(expr))

int main(void)
{
    for (size_t i = 0; i < sizeof vl / sizeof vl[0]; i++) {
        long double x = vl[i];
        L("sinl", sinl(x));
        L("cosl", cosl(x));
        L("tanl", tanl(x));
        L("atanl", atanl(x));
        L("atan2l", atan2l(x, 1.5L));
        L("expl", expl(x));
        L("exp2l", exp2l(x));
        L("logl", logl(x));
        L("log2l", log2l(x));
        L("log10l", log10l(x));
        L("log1pl", log1pl(x));
        L("powl", powl(x, 1.7L));
    }
    return 0;
}
