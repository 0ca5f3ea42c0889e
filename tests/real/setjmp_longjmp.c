/* setjmp/longjmp and sigsetjmp/siglongjmp: a jump out of deep recursion,
 * longjmp(env, 0) returning 1, volatile locals surviving, nested jump
 * buffers, and the signal mask restored by siglongjmp. Exit codes: 1 wrong
 * setjmp return value, 2 a volatile lost its value, 3 wrong depth, 4 mask not
 * restored, 5 mask restored when it should not be. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>

static jmp_buf top;
static int deepest;

static void recurse(int depth)
{
    char pad[64];
    pad[0] = (char)depth;
    deepest = depth + pad[0] - (char)depth;
    if (depth == 500)
        longjmp(top, depth);
    recurse(depth + 1);
}

static jmp_buf outer, inner;
static void level2(void) { longjmp(inner, 7); }
static void level1(void)
{
    if (setjmp(inner) == 0)
        level2();
    longjmp(outer, 9);
}

int main(void)
{
    volatile int counter = 0;
    int r = setjmp(top);
    if (r == 0) {
        counter = 10;
        recurse(0);
        return 1;
    }
    printf("back from depth %d, counter %d\n", r, counter);
    if (r != 500 || deepest != 500)
        return 3;
    if (counter != 10)
        return 2;

    volatile int times = 0;
    r = setjmp(top);
    times++;
    if (times == 1)
        longjmp(top, 0);
    printf("longjmp(env, 0) made setjmp return %d after %d passes\n", r, times);
    if (r != 1)
        return 1;

    r = setjmp(outer);
    if (r == 0)
        level1();
    printf("nested: outer returned %d\n", r);
    if (r != 9)
        return 1;

    sigjmp_buf sj;
    sigset_t set, now;
    sigemptyset(&set);
    sigprocmask(SIG_SETMASK, &set, NULL);
    if (sigsetjmp(sj, 1) == 0) {
        sigaddset(&set, SIGUSR1);
        sigprocmask(SIG_BLOCK, &set, NULL);
        siglongjmp(sj, 1);
    }
    sigprocmask(SIG_SETMASK, NULL, &now);
    printf("after siglongjmp(savemask=1): SIGUSR1 blocked = %d\n", sigismember(&now, SIGUSR1));
    if (sigismember(&now, SIGUSR1))
        return 4;
    if (sigsetjmp(sj, 0) == 0) {
        sigprocmask(SIG_BLOCK, &set, NULL);
        siglongjmp(sj, 1);
    }
    sigprocmask(SIG_SETMASK, NULL, &now);
    printf("after siglongjmp(savemask=0): SIGUSR1 blocked = %d\n", sigismember(&now, SIGUSR1));
    if (!sigismember(&now, SIGUSR1))
        return 5;
    return 0;
}
