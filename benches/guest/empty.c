/* Start and exit: the cost of a process with nothing in it. */
int main(void) { return 0; }
