/* The smallest real program: only the C library's startup and exit run.
 * The first milestone: every syscall it makes is startup (before main). */
int main(void)
{
    return 0;
}
