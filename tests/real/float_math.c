/* Floating point that must match the host bit for bit: <math.h> in float
 * and double, long double (the x87's 80-bit format) arithmetic, printed
 * with %.17g/%a and %.21Lg/%La. Arithmetic on subnormals, infinities, NaN
 * and -0, and a few long accumulations. The long double functions that are
 * one x87 transcendental instruction (sinl, logl, ...) are in
 * float_x87_transcendental.c: the host's own results for those depend on
 * its CPU's microcode. Exit code 1: a classification check failed. */
#include <float.h>
#include <math.h>
#include <stdio.h>

static volatile double vd[] = {0.0, -0.0, 0.5, 1.0, 2.0, 3.0, 10.0, 0.1, 1e-3, 1e10, 1e300, 5e-324,
                               2.2250738585072014e-308, -2.5, 3.141592653589793, 100.5, 1e22};
static volatile long double vl[] = {0.0L, 0.5L, 1.0L, 2.0L, 3.0L, 10.0L, 0.1L, 1e-3L, 1e10L, 1e300L,
                                    1e-4940L, -2.5L, 3.14159265358979323846L, 1e4000L};

#define D(name, expr) printf("%-10s(%-23.17g) = %.17g %a\n", name, x, (double)(expr), (double)(expr))
#define L(name, expr) printf("%-10s(%-23.21Lg) = %.21Lg %La\n", name, x, (long double)(expr), (long double)(expr))

int main(void)
{
    for (size_t i = 0; i < sizeof vd / sizeof vd[0]; i++) {
        double x = vd[i];
        D("sqrt", sqrt(x));
        D("sin", sin(x));
        D("cos", cos(x));
        D("tan", tan(x));
        D("atan", atan(x));
        D("atan2", atan2(x, 1.5));
        D("exp", exp(x));
        D("expm1", expm1(x));
        D("log", log(x));
        D("log10", log10(x));
        D("log2", log2(x));
        D("log1p", log1p(x));
        D("pow", pow(x, 1.7));
        D("pow2", pow(2.5, x));
        D("fmod", fmod(x, 0.7));
        D("remainder", remainder(x, 0.7));
        D("floor", floor(x));
        D("ceil", ceil(x));
        D("round", round(x));
        D("trunc", trunc(x));
        D("rint", rint(x));
        D("cbrt", cbrt(x));
        D("hypot", hypot(x, 3.0));
        D("sinh", sinh(x));
        D("tanh", tanh(x));
        D("asin", asin(x / 4));
        D("acos", acos(x / 4));
        D("float", (float)sinf((float)x));
        D("floatexp", (float)expf((float)x));
        int e;
        double m = frexp(x, &e);
        printf("frexp(%.17g) = %.17g, %d; ldexp back %.17g; modf ", x, m, e, ldexp(m, e));
        double ip, fp = modf(x, &ip);
        printf("%.17g + %.17g\n", ip, fp);
    }
    for (size_t i = 0; i < sizeof vl / sizeof vl[0]; i++) {
        long double x = vl[i];
        L("sqrtl", sqrtl(x));
        L("fmodl", fmodl(x, 0.7L));
        L("floorl", floorl(x));
        L("x*x/3", x * x / 3.0L);
        L("(double)", (double)x);
    }
    /* arithmetic edge cases */
    volatile double z = 0.0, one = 1.0, inf = INFINITY, tiny = DBL_MIN;
    printf("1/0=%g -1/0=%g 0/0 is nan %d inf-inf is nan %d -0+0=%g -0*1=%g\n", one / z, -one / z, isnan(z / z),
           isnan(inf - inf), -z + z, -z * one);
    printf("DBL_MIN/2=%a DBL_MIN/2^52=%a (DBL_MIN/2^53)*2^53=%a\n", tiny / 2, tiny / 4503599627370496.0,
           (tiny / 9007199254740992.0) * 9007199254740992.0);
    printf("DBL_MAX*2=%g LDBL_MAX=%La LDBL_MIN=%La LDBL_EPSILON=%La\n", DBL_MAX * (one + one), LDBL_MAX, LDBL_MIN,
           LDBL_EPSILON);
    if (!isinf(one / z) || !isnan(z / z) || fpclassify(tiny / 4) != FP_SUBNORMAL || !signbit(-z))
        return 1;
    double acc = 0;
    long double lacc = 0;
    for (int k = 1; k <= 100000; k++) {
        acc += 1.0 / ((double)k * k);
        lacc += 1.0L / ((long double)k * k);
    }
    printf("sum 1/k^2: %.17g %a; long double %.21Lg %La\n", acc, acc, lacc, lacc);
    double h = 0;
    for (int k = 0; k < 2000; k++)
        h = sin(h + k) * cos(h - k) + sqrt(fabs(h) + k) / 1000.0;
    printf("chaos: %.17g %a\n", h, h);
    printf("(int)2.9=%d (int)-2.9=%d (long long)1e18=%lld (unsigned)3e9=%u lrint(2.5)=%ld llround(-2.5)=%lld\n",
           (int)(one * 2.9), (int)(one * -2.9), (long long)(one * 1e18), (unsigned)(one * 3e9), lrint(one * 2.5),
           llround(one * -2.5));
    float f = 1.0f / 3.0f;
    double fd = f;
    printf("float 1/3 = %.9g %a, as double %.17g\n", f, f, fd);
    return 0;
}
