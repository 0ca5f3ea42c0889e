/* limits.h - integer limits for i386 (ILP32).  gcc's own limits.h wants a
 * system limits.h behind it, so we supply a complete one. */
#ifndef _TOY_LIMITS_H
#define _TOY_LIMITS_H

#define CHAR_BIT    8
#define SCHAR_MIN   (-128)
#define SCHAR_MAX   127
#define UCHAR_MAX   255
#define CHAR_MIN    SCHAR_MIN
#define CHAR_MAX    SCHAR_MAX
#define SHRT_MIN    (-32768)
#define SHRT_MAX    32767
#define USHRT_MAX   65535
#define INT_MIN     (-INT_MAX - 1)
#define INT_MAX     2147483647
#define UINT_MAX    4294967295U
#define LONG_MIN    (-LONG_MAX - 1L)
#define LONG_MAX    2147483647L
#define ULONG_MAX   4294967295UL
#define LLONG_MIN   (-LLONG_MAX - 1LL)
#define LLONG_MAX   9223372036854775807LL
#define ULLONG_MAX  18446744073709551615ULL
#define SSIZE_MAX   LONG_MAX
#define PAGE_SIZE   4096
#define PAGESIZE    4096
#define PATH_MAX    4096

#endif
