// asm_atomic.c - lock cmpxchg (8/16/32 bit), lock cmpxchg8b, lock xadd, xchg with memory, lock inc/dec/add/or/bts via __sync/__atomic builtins and inline asm; ZF and EAX after success and failure.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)
#define ZF 0x40u
#define CF 0x01u

static uint32_t g32;
static uint16_t g16;
static uint8_t g8;
static uint64_t g64;

/* lock cmpxchg: returns the flags; *eax gets what the instruction left in EAX */
static uint32_t cas32(uint32_t *p, uint32_t expect, uint32_t repl, uint32_t *eax)
{
    uint32_t f;
    __asm__ volatile("lock cmpxchgl %3, %1\n\tpushfl\n\tpopl %2"
                     : "+a"(expect), "+m"(*p), "=r"(f) : "r"(repl) : "cc", "memory");
    *eax = expect;
    return f;
}

static uint32_t cas8b(uint64_t *p, uint64_t expect, uint64_t repl, uint64_t *old)
{
    uint32_t lo = (uint32_t)expect, hi = (uint32_t)(expect >> 32);
    uint32_t f;
    __asm__ volatile("lock cmpxchg8b %2\n\tpushfl\n\tpopl %3"
                     : "+a"(lo), "+d"(hi), "+m"(*p), "=r"(f)
                     : "b"((uint32_t)repl), "c"((uint32_t)(repl >> 32))
                     : "cc", "memory");
    *old = (uint64_t)hi << 32 | lo;
    return f;
}

static uint32_t xadd32(uint32_t *p, uint32_t add)
{
    __asm__ volatile("lock xaddl %0, %1" : "+r"(add), "+m"(*p) : : "cc", "memory");
    return add;
}

static uint16_t xadd16(uint16_t *p, uint16_t add)
{
    __asm__ volatile("lock xaddw %0, %1" : "+r"(add), "+m"(*p) : : "cc", "memory");
    return add;
}

static uint32_t lock_bts(uint32_t *p, uint32_t bit)
{
    uint32_t f;
    __asm__ volatile("lock btsl %2, %1\n\tpushfl\n\tpopl %0" : "=r"(f), "+m"(*p) : "r"(bit) : "cc", "memory");
    return f & CF;
}

static uint32_t lock_dec_zero(uint32_t *p)
{
    uint8_t z;
    __asm__ volatile("lock decl %0\n\tsete %1" : "+m"(*p), "=q"(z) : : "cc", "memory");
    return z;
}

int main(void)
{
    uint32_t eax, f;
    g32 = 10;
    f = cas32(&g32, 10, 20, &eax);
    CHECK((f & ZF) && g32 == 20 && eax == 10, 1);
    f = cas32(&g32, 10, 30, &eax);
    CHECK(!(f & ZF) && g32 == 20 && eax == 20, 2);     /* failure loads the current value */
    f = cas32(&g32, 20, 20, &eax);
    CHECK((f & ZF) && g32 == 20, 3);

    g64 = 0x1111111122222222ull;
    uint64_t old;
    f = cas8b(&g64, 0x1111111122222222ull, 0x3333333344444444ull, &old);
    CHECK((f & ZF) && g64 == 0x3333333344444444ull && old == 0x1111111122222222ull, 4);
    f = cas8b(&g64, 0x1111111122222222ull, 5, &old);
    CHECK(!(f & ZF) && old == 0x3333333344444444ull, 5);
    CHECK(__sync_val_compare_and_swap(&g64, 0x3333333344444444ull, 7ull) == 0x3333333344444444ull && g64 == 7, 6);
    CHECK(__sync_bool_compare_and_swap(&g64, 7ull, 0xffffffff00000000ull) && g64 == 0xffffffff00000000ull, 7);

    g16 = 0xfff0;
    CHECK(__sync_val_compare_and_swap(&g16, 0xfff0, 0x1234) == 0xfff0 && g16 == 0x1234, 8);
    CHECK(__sync_val_compare_and_swap(&g16, 0xfff0, 0x9999) == 0x1234 && g16 == 0x1234, 9);
    g8 = 200;
    CHECK(__sync_bool_compare_and_swap(&g8, 200, 201) && !__sync_bool_compare_and_swap(&g8, 200, 202) && g8 == 201, 10);

    g32 = 1000;
    CHECK(xadd32(&g32, 234) == 1000 && g32 == 1234, 11);
    CHECK(xadd32(&g32, (uint32_t)-1234) == 1234 && g32 == 0, 12);
    g16 = 0xffff;
    CHECK(xadd16(&g16, 2) == 0xffff && g16 == 1, 13);
    CHECK(__sync_fetch_and_add(&g32, 5) == 0 && __sync_add_and_fetch(&g32, 5) == 10, 14);
    CHECK(__sync_fetch_and_sub(&g32, 3) == 10 && g32 == 7, 15);
    CHECK(__atomic_fetch_or(&g32, 0x100, __ATOMIC_SEQ_CST) == 7 && g32 == 0x107, 16);
    CHECK(__atomic_fetch_and(&g32, 0x106, __ATOMIC_SEQ_CST) == 0x107 && g32 == 0x106, 17);
    CHECK(__atomic_fetch_xor(&g32, 0xff, __ATOMIC_SEQ_CST) == 0x106 && g32 == 0x1f9, 18);
    CHECK(__atomic_exchange_n(&g32, 42, __ATOMIC_SEQ_CST) == 0x1f9 && g32 == 42, 19);
    CHECK(__sync_lock_test_and_set(&g8, 1) == 201 && g8 == 1, 20);
    g32 = 3;
    CHECK(!lock_dec_zero(&g32) && !lock_dec_zero(&g32) && lock_dec_zero(&g32) && g32 == 0, 21);
    g32 = 2;
    CHECK(__atomic_sub_fetch(&g32, 1, __ATOMIC_SEQ_CST) == 1 && __atomic_sub_fetch(&g32, 1, __ATOMIC_SEQ_CST) == 0, 22);
    CHECK(lock_bts(&g32, 5) == 0 && lock_bts(&g32, 5) == 1 && g32 == 32, 23);
    __atomic_store_n(&g32, 99, __ATOMIC_SEQ_CST);                /* xchg as a store */
    CHECK(__atomic_load_n(&g32, __ATOMIC_SEQ_CST) == 99, 24);
    __sync_synchronize();

    /* a spin-free "lock" protocol built from cmpxchg: count with a CAS loop */
    uint32_t counter = 0, retries = 0;
    for (int i = 0; i < 1000; i++) {
        uint32_t cur = counter, seen;
        while ((seen = __sync_val_compare_and_swap(&counter, cur, cur + (uint32_t)i)) != cur) {
            cur = seen;
            retries++;
        }
    }
    CHECK(counter == 499500 && retries == 0, 25);
    printf("atomics agree: counter %u, g64 %016llx, g16 %04x, g8 %u\n", counter,
           (unsigned long long)g64, g16, g8);
    return 0;
}
