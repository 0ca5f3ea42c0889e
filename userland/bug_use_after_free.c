/* bug_use_after_free.c - a read from a block after it was freed.
 *
 *   toyemu run --memcheck userland/bug_use_after_free
 *
 * An account is reachable by two pointers: `acct` and the table entry
 * `registry`.  It is freed through one, then its balance (the int 8 bytes
 * into the 32-byte block) is read through the other.  Natively the read
 * "works": no allocator has reused those bytes yet, so the old balance
 * comes out and the program exits 0.  memcheck reports
 *
 *   Invalid read of size 4 ... 8 bytes inside a block of size 32 free'd
 *
 * at the line marked BUG, with the free at FREE and the malloc at ALLOC.
 * A second account stays allocated meanwhile, so no allocator gives the
 * freed one's memory back to the kernel.  (`registry` is volatile, so gcc
 * neither warns about nor folds the stale read, and `balance` is volatile,
 * so gcc -O2 does the read on that line, not later at its use.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct account {
    int id;
    int owner;
    int balance;
    char name[20];
};

static struct account *volatile registry;

static struct account *open_account(int id, const char *name, int balance)
{
    struct account *a = malloc(sizeof *a);    /* ALLOC */
    if (!a)
        exit(1);
    a->id = id;
    a->owner = 1000 + id;
    a->balance = balance;
    strcpy(a->name, name);
    return a;
}

int main(void)
{
    struct account *acct = open_account(1, "alice", 250);
    struct account *other = open_account(2, "bob", 40);
    registry = acct;
    printf("bug_use_after_free: %s has %d\n", acct->name, acct->balance);

    free(acct);                                /* FREE */
    printf("bug_use_after_free: closed account 1\n");

    volatile int balance = registry->balance;  /* BUG */

    printf("bug_use_after_free: the registry still says %d\n", balance);
    printf("bug_use_after_free: %s has %d\n", other->name, other->balance);
    free(other);
    return 0;
}
