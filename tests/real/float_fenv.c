/* The floating-point environment: rounding modes (the x87 control word's RC
 * field), exception flags (the status word), and long double precision.
 * Exit codes: 1 fesetround refused a mode, 2 a flag not raised, 3 a flag
 * raised that should not be, 4 fegetround disagrees. */
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdio.h>

static volatile double one = 1.0, three = 3.0, big = 1e308, tiny = 1e-308, zero = 0.0;
static volatile long double lone = 1.0L, lthree = 3.0L;

int main(void)
{
    int modes[] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
    const char *names[] = {"nearest", "upward", "downward", "towardzero"};
    for (int i = 0; i < 4; i++) {
        if (fesetround(modes[i]))
            return 1;
        if (fegetround() != modes[i])
            return 4;
        double q = one / three, nq = -one / three;
        long double lq = lone / lthree;
        printf("%-10s 1/3=%a -1/3=%a 1/3L=%La rint(2.5)=%g rint(-2.5)=%g nearbyint(3.5)=%g lrint(-1.5)=%ld "
               "sqrt(2)=%a\n",
               names[i], q, nq, lq, rint(2.5 * one), rint(-2.5 * one), nearbyint(3.5 * one), lrint(-1.5 * one),
               sqrt(2.0 * one));
    }
    fesetround(FE_TONEAREST);
    feclearexcept(FE_ALL_EXCEPT);
    volatile double r = one / three;
    if (!fetestexcept(FE_INEXACT))
        return 2;
    if (fetestexcept(FE_DIVBYZERO | FE_OVERFLOW | FE_INVALID))
        return 3;
    feclearexcept(FE_ALL_EXCEPT);
    r = one / zero;
    printf("1/0=%g divbyzero=%d\n", r, !!fetestexcept(FE_DIVBYZERO));
    if (!fetestexcept(FE_DIVBYZERO))
        return 2;
    feclearexcept(FE_ALL_EXCEPT);
    r = big * 10.0;
    printf("1e308*10=%g overflow=%d\n", r, !!fetestexcept(FE_OVERFLOW));
    if (!fetestexcept(FE_OVERFLOW))
        return 2;
    feclearexcept(FE_ALL_EXCEPT);
    r = tiny / 1e10;
    printf("1e-308/1e10=%a underflow=%d\n", r, !!fetestexcept(FE_UNDERFLOW));
    feclearexcept(FE_ALL_EXCEPT);
    r = sqrt(-one);
    printf("sqrt(-1) is nan=%d invalid=%d\n", isnan(r), !!fetestexcept(FE_INVALID));
    if (!fetestexcept(FE_INVALID))
        return 2;
    fenv_t env;
    fegetenv(&env);
    fesetround(FE_UPWARD);
    fesetenv(&env);
    if (fegetround() != FE_TONEAREST)
        return 4;
    printf("FLT_EVAL_METHOD=%d LDBL_MANT_DIG=%d DBL_MANT_DIG=%d\n", (int)FLT_EVAL_METHOD, LDBL_MANT_DIG, DBL_MANT_DIG);
    return 0;
}
