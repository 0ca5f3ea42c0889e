/* sys/ucontext.h - the same as <ucontext.h>. */
#include <ucontext.h>
