// malloc_double_free.c - freeing a block twice is caught by the chunk magic/flags: malloc prints a message to stderr and aborts (SIGABRT, status 134).
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    char *p = malloc(40);
    char *q = malloc(40);
    printf("freeing a block once: fine\n");
    free(p);
    printf("freeing it again: malloc must abort\n");
    free(p);
    printf("still alive?!\n");
    free(q);
    return 1;
}
