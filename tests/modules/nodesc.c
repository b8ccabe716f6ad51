/* A shared object without the relman_module descriptor, for the tests. */
__attribute__((visibility("default"))) int not_a_module = 1;
