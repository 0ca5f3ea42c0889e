/* The environment: getenv of the variable the harness sets
 * (TOYEMU_REAL_GREETING), of one that is absent, environ's entries, and
 * setenv/unsetenv/putenv. Exit codes: 1 the harness's variable is missing or
 * wrong, 2 an absent variable was found, 3 setenv/getenv, 4 unsetenv,
 * 5 putenv, 6 argv/argc. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int main(int argc, char **argv)
{
    const char *g = getenv("TOYEMU_REAL_GREETING");
    printf("TOYEMU_REAL_GREETING=%s\n", g ? g : "(unset)");
    if (!g || strcmp(g, "hello from the harness") != 0)
        return 1;
    if (getenv("TOYEMU_REAL_ABSENT") || getenv("") || getenv("TOYEMU_REAL_GREETIN"))
        return 2;
    int ours = 0;
    for (char **e = environ; *e; e++)
        if (strncmp(*e, "TOYEMU_REAL_", 12) == 0) {
            printf("environ: %s\n", *e);
            ours++;
        }
    printf("%d TOYEMU_REAL_ variables in environ\n", ours);
    if (setenv("TOYEMU_REAL_NEW", "value 1", 0) || strcmp(getenv("TOYEMU_REAL_NEW"), "value 1"))
        return 3;
    if (setenv("TOYEMU_REAL_NEW", "value 2", 0) || strcmp(getenv("TOYEMU_REAL_NEW"), "value 1"))
        return 3;
    if (setenv("TOYEMU_REAL_NEW", "value 3", 1) || strcmp(getenv("TOYEMU_REAL_NEW"), "value 3"))
        return 3;
    if (unsetenv("TOYEMU_REAL_NEW") || getenv("TOYEMU_REAL_NEW"))
        return 4;
    static char kv[] = "TOYEMU_REAL_PUT=put value";
    if (putenv(kv) || strcmp(getenv("TOYEMU_REAL_PUT"), "put value"))
        return 5;
    kv[16] = 'P';
    if (strcmp(getenv("TOYEMU_REAL_PUT"), "Put value"))
        return 5;
    printf("argc %d", argc);
    /* argv[1] is the harness's scratch directory, different for each run */
    for (int i = 2; i < argc; i++)
        printf(", argv[%d]=%s", i, argv[i]);
    printf("\n");
    if (argc < 1 || argv[argc] != NULL)
        return 6;
    return 0;
}
