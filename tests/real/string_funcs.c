/* <string.h>, <strings.h> and <ctype.h>: each function on ordinary and edge
 * inputs (empty strings, overlap for memmove, lengths not a multiple of 4,
 * unaligned starts). Exit code = the number of the check that failed. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int failed;
#define CHECK(n, cond)                                                 \
    do {                                                               \
        if (!(cond)) {                                                 \
            printf("check %d failed: %s\n", n, #cond);                 \
            if (!failed)                                               \
                failed = n;                                            \
        }                                                              \
    } while (0)

int main(void)
{
    char buf[256], b2[256];
    CHECK(1, strlen("") == 0 && strlen("hello") == 5);
    for (int off = 0; off < 8; off++) {
        memset(buf, 'x', sizeof buf);
        buf[off + 37] = 0;
        CHECK(2, strlen(buf + off) == 37);
    }
    CHECK(3, strcmp(strcpy(buf, "abc"), "abc") == 0);
    memset(b2, 'Z', sizeof b2);
    strncpy(b2, "ab", 5);
    CHECK(4, b2[0] == 'a' && b2[2] == 0 && b2[4] == 0 && b2[5] == 'Z');
    strcpy(buf, "foo");
    strcat(buf, "bar");
    strncat(buf, "bazqux", 3);
    CHECK(5, strcmp(buf, "foobarbaz") == 0);
    CHECK(6, strcmp("a", "b") < 0 && strcmp("b", "a") > 0 && strcmp("\xff", "a") > 0);
    CHECK(7, strncmp("abcdef", "abcxyz", 3) == 0 && strncmp("abcdef", "abcxyz", 4) < 0);
    CHECK(8, strcasecmp("HeLLo", "hello") == 0 && strncasecmp("ABCd", "abce", 3) == 0);
    const char *s = "the quick brown fox jumps over the lazy dog";
    CHECK(9, strchr(s, 'q') == s + 4 && strchr(s, 0) == s + strlen(s) && !strchr(s, 'Q'));
    CHECK(10, strrchr(s, 'o') == s + 41 && strrchr(s, 't') == s + 31);
    CHECK(11, strstr(s, "fox") == s + 16 && strstr(s, "") == s && !strstr(s, "cat"));
    CHECK(12, strspn(s, "the ") == 4 && strcspn(s, "qz") == 4 && strpbrk(s, "xyz") == s + 18);
    char tok[] = "a,b,,c;d";
    char *parts[8];
    int np = 0;
    for (char *t = strtok(tok, ",;"); t; t = strtok(NULL, ",;"))
        parts[np++] = t;
    CHECK(13, np == 4 && !strcmp(parts[2], "c") && !strcmp(parts[3], "d"));
    char tok2[] = "k1=v1&k2=v2", *save, *kv;
    np = 0;
    for (kv = strtok_r(tok2, "&", &save); kv; kv = strtok_r(NULL, "&", &save))
        np++;
    CHECK(14, np == 2);
    char *d = strdup(s);
    CHECK(15, d && strcmp(d, s) == 0 && d != s);
    free(d);
    d = strndup(s, 9);
    CHECK(16, d && strcmp(d, "the quick") == 0);
    free(d);
    for (int i = 0; i < 256; i++)
        buf[i] = (char)i;
    for (int off = 0; off < 4; off++)
        for (int n = 0; n < 70; n++) {
            memset(b2, 0, sizeof b2);
            memcpy(b2 + off, buf + 3, n);
            CHECK(17, memcmp(b2 + off, buf + 3, n) == 0 && b2[off + n] == 0);
        }
    strcpy(buf, "0123456789");
    memmove(buf + 2, buf, 5);
    CHECK(18, strcmp(buf, "0101234789") == 0);
    strcpy(buf, "0123456789");
    memmove(buf, buf + 3, 6);
    CHECK(19, strcmp(buf, "3456786789") == 0);
    memset(buf, 0xab, 100);
    CHECK(20, (unsigned char)buf[0] == 0xab && (unsigned char)buf[99] == 0xab);
    CHECK(21, memchr(s, 'q', 5) == s + 4 && memchr(s, 'q', 4) == NULL);
    CHECK(22, memchr(s, 'z', 10) == NULL && memrchr(s, 'o', strlen(s)) == s + 41);
    CHECK(23, memcmp("abc", "abd", 3) < 0 && memcmp("abc", "abd", 2) == 0);
    CHECK(24, strnlen("hello", 3) == 3 && strnlen(s, 100) == 43);
    CHECK(25, strcmp(stpcpy(buf, "xy"), "") == 0 && strcmp(buf, "xy") == 0);
    CHECK(26, ffs(0) == 0 && ffs(8) == 4 && ffs(0x80000000) == 32);
    int upper = 0, digit = 0, space = 0, punct = 0;
    for (int c = 0; c < 128; c++) {
        upper += isupper(c) != 0;
        digit += isdigit(c) != 0;
        space += isspace(c) != 0;
        punct += ispunct(c) != 0;
    }
    CHECK(27, upper == 26 && digit == 10 && space == 6 && punct == 32);
    CHECK(28, toupper('a') == 'A' && tolower('Q') == 'q' && toupper('1') == '1');
    printf("strerror(ENOENT) = %s\n", strerror(ENOENT));
    printf("strerror(EINVAL) = %s\n", strerror(EINVAL));
    printf("strsignal(11) = %s\n", strsignal(11));
    char rev[64];
    strcpy(rev, s);
    for (size_t i = 0, j = strlen(rev) - 1; i < j; i++, j--) {
        char t = rev[i];
        rev[i] = rev[j];
        rev[j] = t;
    }
    printf("reversed: %s\n", rev);
    printf("%s\n", failed ? "string checks FAILED" : "all string checks passed");
    return failed;
}
