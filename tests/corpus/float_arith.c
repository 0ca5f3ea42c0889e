// float_arith.c - x87 floating point as gcc compiles C: float/double/long double arithmetic, conversions both ways (with the control-word dance for truncation), comparisons with NaN and infinities, rounding modes, a few numeric kernels, and printf's %f %e %g with widths, precisions and flags.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)

/* Values the optimiser cannot fold. */
static volatile double vd[] = {0.1, 0.2, 0.3, 1.0 / 3.0, 2.5, -7.75, 1e300, 1e-300, 4.9e-324, 123456.789};
static volatile float vf[] = {0.1f, 3.25f, -1.5e-40f, 16777217.0f, 1e38f};
static volatile long long vl[] = {0, 1, -1, 9007199254740993LL, -9223372036854775807LL - 1, 123456789012345LL};

static double fsqrt(double x)
{
    double r;
    __asm__("fsqrt" : "=t"(r) : "0"(x));
    return r;
}

/* Set the x87 rounding control (0 nearest, 1 down, 2 up, 3 toward zero). */
static void set_rc(int rc)
{
    uint16_t cw;
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    cw = (uint16_t)((cw & ~0x0c00) | (rc << 10));
    __asm__ volatile("fldcw %0" ::"m"(cw));
}

/* The bits of a long double: exponent word and significand. */
static void print_ld(const char *name, long double x)
{
    unsigned char b[10];
    memcpy(b, &x, 10);
    uint64_t m;
    memcpy(&m, b, 8);
    printf("%s = %04x:%08x%08x\n", name, b[8] | b[9] << 8, (unsigned)(m >> 32), (unsigned)m);
}

static uint32_t checksum;
static void mix(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    checksum = (checksum ^ (uint32_t)u ^ (uint32_t)(u >> 32)) * 16777619u;
}

int main(void)
{
    /* Arithmetic in the three sizes. */
    double a = vd[0] + vd[1], b = vd[2];
    printf("0.1+0.2 = %.17g, 0.3 = %.17g, equal %d\n", a, b, a == b);
    float f = vf[0] * vf[1];
    printf("float product %.9g, float denormal %g, 2^24+1 as float %.1f\n", f, vf[2], vf[3]);
    long double l = (long double)vd[3] * 3.0L - 1.0L;
    print_ld("1/3*3-1 (80-bit)", l);
    print_ld("sqrt2 (80-bit)", (long double)fsqrt(2.0) * 1.0L);
    long double third = 1.0L / 3.0L;
    print_ld("1/3 (80-bit)", third);
    printf("big*big %g, tiny*tiny %g, tiny/big %g, denormal min %g\n", vd[6] * vd[6], vd[7] * vd[7],
           vd[7] / vd[6], vd[8]);

    /* Conversions: truncation toward zero, 64-bit integers, unsigned. */
    for (int i = 0; i < 6; i++) {
        double d = (double)vl[i];
        long long back = (long long)d;
        unsigned long long u = (unsigned long long)(d < 0 ? -d : d);
        printf("ll %lld -> %.17g -> %lld, |d| as ull %llu\n", vl[i], d, back, u);
    }
    int t1 = (int)vd[4], t2 = (int)vd[5];
    unsigned t3 = (unsigned)(vd[4] * 1e9);
    printf("(int)2.5 = %d, (int)-7.75 = %d, (unsigned)2.5e9 = %u, (float)1e300 = %g\n", t1, t2, t3,
           (double)(float)vd[6]);
    CHECK(t1 == 2 && t2 == -7, 1);

    /* Comparisons, NaN and infinities. */
    volatile double zero = 0.0;
    double inf = 1.0 / zero, nan = zero / zero;
    printf("inf %f -inf %e nan %g -nan %f\n", inf, -inf, nan, -nan);
    printf("nan==nan %d nan<1 %d nan>1 %d nan!=nan %d inf>1e308 %d -0==0 %d\n", nan == nan, nan < 1,
           nan > 1, nan != nan, inf > 1e308, -zero == zero);
    CHECK(nan != nan, 2);
    CHECK(!(nan < 1.0) && !(nan >= 1.0), 3);
    CHECK(inf > vd[6], 4);

    /* Rounding modes: 1/3 and -1/3 in double, and rint-like conversions. */
    for (int rc = 0; rc < 4; rc++) {
        set_rc(rc);
        volatile double one = 1.0, three = 3.0;
        double q = one / three, nq = -one / three;
        long long r;
        volatile double x = 2.5;
        __asm__("fistpll %0" : "=m"(r) : "t"(x) : "st");
        printf("rc %d: 1/3 %.17g -1/3 %.17g fistp(2.5) %lld\n", rc, q, nq, r);
    }
    set_rc(0);

    /* Numeric kernels. */
    double pi = 0;
    for (int k = 0; k < 100000; k++)
        pi += (k & 1 ? -4.0 : 4.0) / (2 * k + 1);
    printf("leibniz pi %.15f\n", pi);
    mix(pi);
    float hf = 0;
    double hd = 0;
    for (int k = 1; k <= 20000; k++) {
        hf += 1.0f / k;
        hd += 1.0 / k;
    }
    printf("harmonic float %.8e double %.16e\n", hf, hd);
    mix(hf);
    mix(hd);
    double x = 1.0;
    for (int k = 0; k < 6; k++)
        x = (x + 2.0 / x) / 2;
    printf("newton sqrt2 %.17g fsqrt %.17g\n", x, fsqrt(2.0));
    double m[3][3] = {{2, -1, 0}, {-1, 2, -1}, {0, -1, 2}}, p[3][3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            p[i][j] = 0;
            for (int k = 0; k < 3; k++)
                p[i][j] += m[i][k] * m[k][j] / 7.0;
            mix(p[i][j]);
        }
    printf("matrix %g %g %g / %g %g %g\n", p[0][0], p[0][1], p[0][2], p[1][0], p[1][1], p[2][2]);
    int inside = 0;
    for (int yi = -12; yi <= 12; yi++)
        for (int xi = -30; xi <= 10; xi++) {
            double cr = xi / 15.0, ci = yi / 10.0, zr = 0, zi = 0;
            int n = 0;
            while (n < 60 && zr * zr + zi * zi < 4) {
                double t = zr * zr - zi * zi + cr;
                zi = 2 * zr * zi + ci;
                zr = t;
                n++;
            }
            inside += n == 60;
        }
    printf("mandelbrot points inside %d\n", inside);
    double s, c;
    __asm__("fsincos" : "=t"(c), "=u"(s) : "0"(0.5));
    double at;
    __asm__("fpatan" : "=t"(at) : "0"(1.0), "u"(1.0) : "st(1)");
    printf("sin(.5) %.12g cos(.5) %.12g 4*atan(1) %.12g\n", s, c, 4 * at);

    /* printf: every conversion with widths, precisions and flags. */
    const double samples[] = {0.0, -0.0, 1.0, 0.5, 2.5, 3.5, -1.25, 1e-5, 123.456, 1e15, 1e16, 9.9999999,
                              1.0 / 3.0, 6.02214076e23, 1.602176634e-19, 1.7976931348623157e308,
                              2.2250738585072014e-308, 4.9e-324};
    const char *formats[] = {"%f", "%.0f", "%.1f", "%.10f", "%e", "%.0e", "%.3E", "%g", "%.0g", "%.3g",
                             "%.17g", "%G", "%#g", "%#.0f", "%#.0e", "%+f", "% e", "%12.4f|", "%-12.4e|",
                             "%012.3f", "%+015.6e", "%-+10.2g|", "%*.*f"};
    char buf[400];
    for (unsigned i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        printf("[%u]", i);
        for (unsigned j = 0; j < sizeof formats / sizeof formats[0]; j++) {
            if (strcmp(formats[j], "%*.*f") == 0)
                snprintf(buf, sizeof buf, formats[j], 14, 3, samples[i]);
            else
                snprintf(buf, sizeof buf, formats[j], samples[i]);
            printf(" %s", buf);
        }
        printf("\n");
    }
    printf("%.40f\n%.30e\n%f\n", 0.1, 1e-300, 1e300);
    printf("inf/nan padded: [%8f] [%-8e] [%08g] [%+f] [%E] [%G]\n", inf, -inf, nan, inf, nan, -inf);
    snprintf(buf, sizeof buf, "%.2f", 2.675);
    CHECK(strcmp(buf, "2.67") == 0, 5); /* 2.675 is 2.67499999... */
    snprintf(buf, sizeof buf, "%.0f %.0f %.0f", 0.5, 1.5, 2.5);
    CHECK(strcmp(buf, "0 2 2") == 0, 6); /* exact ties go to even */
    printf("checksum %08x\n", checksum);
    return 0;
}
