/* printf.c - the printf family.
 *
 * Conversions: %d %i %u %o %x %X %p %s %c %% and the floating-point %f %F
 * %e %E %g %G, with the flags - 0 + space #, a width and a precision
 * (numbers or *), and the length modifiers hh h l ll z j t (and L, whose
 * long double is printed as the double nearest to it).  Output follows
 * glibc's: %p prints 0x... in lowercase and "(nil)" for NULL; %s of NULL
 * prints "(null)"; doubles are correctly rounded (ties to even on the
 * exact value, which dtoa.c gives digit by digit), "inf" and "nan" (with
 * their sign, "-nan" too) ignore the 0 flag.
 *
 * Output to a file descriptor goes through a buffer on the caller's stack
 * and reaches the kernel with one write() per call (more only if the text
 * overflows the buffer).  Nothing is buffered between calls, so printf
 * output and raw write() output appear in program order, and a line
 * printed right before a crash is never lost.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define OUTBUF 512

struct out {
    char *buf;      /* where characters go */
    size_t cap;     /* how many fit in buf */
    size_t len;     /* how many are in buf */
    size_t total;   /* how many were produced altogether (the return value) */
    int fd;         /* >= 0: flush buf to this fd when full; < 0: string */
};

static void flush(struct out *o)
{
    size_t done = 0;
    while (done < o->len) {
        ssize_t n = write(o->fd, o->buf + done, o->len - done);
        if (n <= 0)
            break;
        done += n;
    }
    o->len = 0;
}

static void put(struct out *o, char c)
{
    o->total++;
    if (o->len < o->cap) {
        o->buf[o->len++] = c;
        return;
    }
    if (o->fd >= 0) {
        flush(o);
        o->buf[o->len++] = c;
    }
    /* string output: silently truncated, total still counts */
}

static void pad(struct out *o, char c, int n)
{
    while (n-- > 0)
        put(o, c);
}

static void puts_n(struct out *o, const char *s, int n)
{
    while (n-- > 0)
        put(o, *s++);
}

enum {
    F_LEFT = 1,   /* '-' */
    F_ZERO = 2,   /* '0' */
    F_PLUS = 4,   /* '+' */
    F_SPACE = 8,  /* ' ' */
    F_ALT = 16,   /* '#' */
};

/* Digits of v in the given base, least significant first, into d[];
 * returns how many.  32-bit values avoid the 64-bit division helpers. */
static int digits(unsigned long long v, unsigned base, int upper, char *d)
{
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    int n = 0;
    while (v > 0xffffffffull) {
        d[n++] = set[v % base];
        v /= base;
    }
    uint32_t w = (uint32_t)v;
    while (w) {
        d[n++] = set[w % base];
        w /= base;
    }
    return n;
}

static void format_int(struct out *o, unsigned long long v, int neg, unsigned base,
                       int upper, int flags, int width, int prec)
{
    char d[24];
    int nd = digits(v, base, upper, d);
    if (prec < 0 && nd == 0)
        d[nd++] = '0';            /* plain %d of 0 prints "0" */

    char prefix[3];
    int np = 0;
    if (neg)
        prefix[np++] = '-';
    else if (flags & F_PLUS)
        prefix[np++] = '+';
    else if (flags & F_SPACE)
        prefix[np++] = ' ';
    if ((flags & F_ALT) && v != 0 && base == 16) {
        prefix[np++] = '0';
        prefix[np++] = upper ? 'X' : 'x';
    }
    if ((flags & F_ALT) && base == 8 && (prec <= nd) && (nd == 0 || d[nd - 1] != '0'))
        prec = nd + 1;            /* %#o: make the first digit a 0 */

    int zeros = prec > nd ? prec - nd : 0;
    int body = np + zeros + nd;
    int fill = width > body ? width - body : 0;

    if (!(flags & F_LEFT) && !((flags & F_ZERO) && prec < 0))
        pad(o, ' ', fill);
    puts_n(o, prefix, np);
    if (!(flags & F_LEFT) && (flags & F_ZERO) && prec < 0)
        pad(o, '0', fill);
    pad(o, '0', zeros);
    while (nd > 0)
        put(o, d[--nd]);
    if (flags & F_LEFT)
        pad(o, ' ', fill);
}

static void format_str(struct out *o, const char *s, int flags, int width, int prec)
{
    int n = 0;
    while ((prec < 0 || n < prec) && s[n])
        n++;
    int fill = width > n ? width - n : 0;
    if (!(flags & F_LEFT))
        pad(o, ' ', fill);
    puts_n(o, s, n);
    if (flags & F_LEFT)
        pad(o, ' ', fill);
}

int __dtoa_exact(double v, char *digits, int *point);

/* Round the n digits in d (value 0.d * 10^*p) to their first `keep`,
 * half to even on the exact value; returns the new count (trailing zeros
 * dropped, at least one digit: "0" when everything rounds away). */
static int round_digits(char *d, int n, int *p, int keep)
{
    if (keep >= n)
        return n;
    int up;
    if (keep < 0) {
        up = 0;
    } else {
        int rest = keep + 1 < n;  /* digits past the first dropped one */
        int odd = keep > 0 && ((d[keep - 1] - '0') & 1);
        up = d[keep] > '5' || (d[keep] == '5' && (rest || odd));
    }
    if (keep <= 0) {
        d[0] = up ? '1' : '0';
        *p = up ? *p + 1 : 1;
        return 1;
    }
    n = keep;
    if (up) {
        int i = n - 1;
        while (i >= 0 && d[i] == '9')
            d[i--] = '0';
        if (i < 0) {
            memmove(d + 1, d, (size_t)n);
            d[0] = '1';
            n++;
            (*p)++;
        } else {
            d[i]++;
        }
    }
    while (n > 1 && d[n - 1] == '0')
        n--;
    return n;
}

/* %f %e %g (conv lowercase; `upper` for %F %E %G) of one double. */
static void format_float(struct out *o, double v, char conv, int upper, int flags,
                         int width, int prec)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    int neg = bits >> 63;
    char sign = neg ? '-' : (flags & F_PLUS) ? '+' : (flags & F_SPACE) ? ' ' : 0;
    if (((bits >> 52) & 0x7ff) == 0x7ff) {
        const char *word = (bits << 12) ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf");
        int body = 3 + (sign != 0);
        int fill = width > body ? width - body : 0;
        if (!(flags & F_LEFT))
            pad(o, ' ', fill);
        if (sign)
            put(o, sign);
        puts_n(o, word, 3);
        if (flags & F_LEFT)
            pad(o, ' ', fill);
        return;
    }
    char d[820];
    int p;
    int n = __dtoa_exact(v, d, &p);
    int zero = n == 1 && d[0] == '0';
    if (prec < 0)
        prec = 6;
    /* Decide the style and its digits: e (exponent x) or f. */
    int style_e = conv == 'e', x = 0, strip = 0;
    if (conv == 'g') {
        int P = prec == 0 ? 1 : prec;
        if (!zero)
            n = round_digits(d, n, &p, P);
        x = zero ? 0 : p - 1;
        style_e = !(x >= -4 && x < P);
        prec = style_e ? P - 1 : P - 1 - x;
        strip = !(flags & F_ALT);
    } else if (conv == 'e') {
        if (!zero)
            n = round_digits(d, n, &p, prec + 1);
        x = zero ? 0 : p - 1;
    } else {
        n = round_digits(d, n, &p, p + prec);
        zero = n == 1 && d[0] == '0';
        if (zero)
            p = 1;
    }
#define DIGIT(i) ((i) >= 0 && (i) < n ? d[i] : '0')
    /* The layout: int digits, fraction digits, exponent. */
    int ilen, frac, first;        /* first: position of the first fraction digit */
    if (style_e) {
        ilen = 1;
        first = 1;
        frac = prec;
        if (strip)
            frac = n - 1 < frac ? n - 1 : frac;
    } else {
        ilen = p > 0 ? p : 1;
        first = p;
        frac = prec;
        if (strip) {
            int have = n - p;     /* significant digits after the point */
            frac = have < frac ? (have > 0 ? have : 0) : frac;
        }
    }
    int dot = frac > 0 || (flags & F_ALT);
    char ex[8];
    int exlen = 0;
    if (style_e) {
        int a = x < 0 ? -x : x;
        char t[6];
        int k = 0;
        do {
            t[k++] = (char)('0' + a % 10);
            a /= 10;
        } while (a);
        if (k < 2)
            t[k++] = '0';
        ex[exlen++] = upper ? 'E' : 'e';
        ex[exlen++] = x < 0 ? '-' : '+';
        while (k)
            ex[exlen++] = t[--k];
    }
    int body = (sign != 0) + ilen + dot + frac + exlen;
    int fill = width > body ? width - body : 0;
    if (!(flags & (F_LEFT | F_ZERO)))
        pad(o, ' ', fill);
    if (sign)
        put(o, sign);
    if (!(flags & F_LEFT) && (flags & F_ZERO))
        pad(o, '0', fill);
    if (style_e || p > 0) {
        for (int i = 0; i < ilen; i++)
            put(o, DIGIT(i));
    } else {
        put(o, '0');
    }
    if (dot)
        put(o, '.');
    for (int i = 0; i < frac; i++)
        put(o, DIGIT(first + i));
    puts_n(o, ex, exlen);
    if (flags & F_LEFT)
        pad(o, ' ', fill);
#undef DIGIT
}

static void format(struct out *o, const char *f, va_list ap)
{
    for (; *f; f++) {
        if (*f != '%') {
            put(o, *f);
            continue;
        }
        const char *start = f++;
        int flags = 0;
        for (;; f++) {
            if (*f == '-') flags |= F_LEFT;
            else if (*f == '0') flags |= F_ZERO;
            else if (*f == '+') flags |= F_PLUS;
            else if (*f == ' ') flags |= F_SPACE;
            else if (*f == '#') flags |= F_ALT;
            else break;
        }
        int width = 0;
        if (*f == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                flags |= F_LEFT;
                width = -width;
            }
            f++;
        } else {
            while (*f >= '0' && *f <= '9')
                width = width * 10 + (*f++ - '0');
        }
        int prec = -1;
        if (*f == '.') {
            f++;
            prec = 0;
            if (*f == '*') {
                prec = va_arg(ap, int);
                if (prec < 0)
                    prec = -1;
                f++;
            } else {
                while (*f >= '0' && *f <= '9')
                    prec = prec * 10 + (*f++ - '0');
            }
        }
        /* length: 0 int, 1 long, 2 long long, -1 short, -2 char */
        int len = 0;
        for (;; f++) {
            if (*f == 'l') len = len == 1 ? 2 : 1;
            else if (*f == 'h') len = len == -1 ? -2 : -1;
            else if (*f == 'q' || *f == 'L') len = 2;
            else if (*f == 'z' || *f == 'j' || *f == 't') len = *f == 'j' ? 2 : 1;
            else break;
        }
        unsigned long long u;
        long long s;
        switch (*f) {
        case 'd':
        case 'i':
            if (len == 2) s = va_arg(ap, long long);
            else if (len == 1) s = va_arg(ap, long);
            else s = va_arg(ap, int);
            if (len == -1) s = (short)s;
            if (len == -2) s = (signed char)s;
            u = s < 0 ? -(unsigned long long)s : (unsigned long long)s;
            format_int(o, u, s < 0, 10, 0, flags, width, prec);
            break;
        case 'u':
        case 'x':
        case 'X':
        case 'o':
            if (len == 2) u = va_arg(ap, unsigned long long);
            else if (len == 1) u = va_arg(ap, unsigned long);
            else u = va_arg(ap, unsigned int);
            if (len == -1) u = (unsigned short)u;
            if (len == -2) u = (unsigned char)u;
            format_int(o, u, 0, *f == 'u' ? 10 : *f == 'o' ? 8 : 16, *f == 'X',
                       flags & ~(F_PLUS | F_SPACE), width, prec);
            break;
        case 'p': {
            void *p = va_arg(ap, void *);
            if (p == NULL)
                format_str(o, "(nil)", flags, width, -1);
            else
                format_int(o, (uintptr_t)p, 0, 16, 0, flags | F_ALT, width, prec);
            break;
        }
        case 's': {
            const char *str = va_arg(ap, const char *);
            format_str(o, str ? str : "(null)", flags, width, prec);
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            int fill = width > 1 ? width - 1 : 0;
            if (!(flags & F_LEFT))
                pad(o, ' ', fill);
            put(o, c);
            if (flags & F_LEFT)
                pad(o, ' ', fill);
            break;
        }
        case 'f':
        case 'F':
        case 'e':
        case 'E':
        case 'g':
        case 'G': {
            double v = len == 2 ? (double)va_arg(ap, long double) : va_arg(ap, double);
            char c = *f;
            int upper = c >= 'A' && c <= 'Z';
            format_float(o, v, upper ? (char)(c + 'a' - 'A') : c, upper, flags, width, prec);
            break;
        }
        case '%':
            put(o, '%');
            break;
        case 0:
            f--;                  /* lone '%' at the end: print it */
            /* fall through */
        default:
            /* unknown conversion: print it as written */
            for (const char *c = start; c <= f; c++)
                put(o, *c);
            break;
        }
    }
}

int vdprintf(int fd, const char *fmt, va_list ap)
{
    char buf[OUTBUF];
    struct out o = { buf, sizeof buf, 0, 0, fd };
    format(&o, fmt, ap);
    flush(&o);
    return (int)o.total;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size ? size - 1 : 0, 0, 0, -1 };
    format(&o, fmt, ap);
    if (size)
        buf[o.len] = 0;
    return (int)o.total;
}

int vsprintf(char *buf, const char *fmt, va_list ap)
{
    return vsnprintf(buf, (size_t)-1 / 2, fmt, ap);
}

int vprintf(const char *fmt, va_list ap)
{
    return vdprintf(1, fmt, ap);
}

int vfprintf(FILE *f, const char *fmt, va_list ap)
{
    return vdprintf(f->fd, fmt, ap);
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vdprintf(1, fmt, ap);
    va_end(ap);
    return n;
}

int dprintf(int fd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vdprintf(fd, fmt, ap);
    va_end(ap);
    return n;
}

int fprintf(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vdprintf(f->fd, fmt, ap);
    va_end(ap);
    return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int sprintf(char *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsprintf(buf, fmt, ap);
    va_end(ap);
    return n;
}

/* The FILE shim: stdin, stdout and stderr, nothing else. */
static FILE files[3] = { { 0 }, { 1 }, { 2 } };
FILE *stdin = &files[0];
FILE *stdout = &files[1];
FILE *stderr = &files[2];

static int write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w <= 0)
            return EOF;
        s += w;
        n -= w;
    }
    return 0;
}

int fputs(const char *s, FILE *f)
{
    return write_all(f->fd, s, strlen(s)) == 0 ? 1 : EOF;
}

int puts(const char *s)
{
    /* one write for the line and its newline */
    return printf("%s\n", s) >= 0 ? 1 : EOF;
}

int fputc(int c, FILE *f)
{
    char ch = (char)c;
    return write_all(f->fd, &ch, 1) == 0 ? (unsigned char)c : EOF;
}

int putc(int c, FILE *f)
{
    return fputc(c, f);
}

int putchar(int c)
{
    return fputc(c, stdout);
}

int fflush(FILE *f)
{
    (void)f;                      /* nothing is ever buffered */
    return 0;
}

size_t fwrite(const void *ptr, size_t size, size_t nmemb, FILE *f)
{
    if (size == 0 || nmemb == 0)
        return 0;
    return write_all(f->fd, ptr, size * nmemb) == 0 ? nmemb : 0;
}

void perror(const char *s)
{
    extern int errno;
    if (s && *s)
        dprintf(2, "%s: %s\n", s, strerror(errno));
    else
        dprintf(2, "%s\n", strerror(errno));
}
