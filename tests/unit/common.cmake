# The common library: the error record and the shared vocabulary.
relman_add_test(test-common SOURCES unit/test-common.c LIBS relman_common)
