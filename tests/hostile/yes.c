/* yes.c - print a line forever, as yes(1) does: it ends only when nobody
 * reads its output any more (SIGPIPE) or a limit stops it. */
#include <string.h>
#include <unistd.h>

int main(void)
{
    const char *line = "y\n";
    for (;;)
        if (write(1, line, strlen(line)) < 0)
            return 1;
}
