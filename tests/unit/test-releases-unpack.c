/* Unpack at scale and under pressure: releases of many applications,
   archives of many entries and links, limits, interruption. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relman/archive.h"
#include "relman/store.h"
#include "test-releases-util.h"

static char *area;
static char root[512], file[512];

static void setup(void)
{
    area = test_tmpdir();
    snprintf(root, sizeof root, "%s/root", area);
    snprintf(file, sizeof file, "%s/in.tar.gz", area);
}

static void teardown(void)
{
    rm_tree(area);
    free(area);
}

/* Adds to `b` a release of `napps` applications a0..a<n-1>, version 1. */
static void many_apps(struct tb *b, size_t napps)
{
    size_t cap = 64 + napps * 64, used = 0;
    char *spec = malloc(cap);
    used += (size_t)snprintf(spec + used, cap - used,
                             "release: many\nversion: \"%s\"\napplications:\n", b->vsn);
    for (size_t i = 0; i < napps; i++) {
        used += (size_t)snprintf(spec + used, cap - used, "  - {name: a%zu, version: \"1\"}\n", i);
        char name[64], text[128];
        snprintf(name, sizeof name, "lib/a%zu-1/a%zu.app.yaml", i, i);
        snprintf(text, sizeof text, "application: a%zu\nversion: \"1\"\nmodules:\n  - name: m\n",
                 i);
        tb_file(b, name, text);
        snprintf(name, sizeof name, "lib/a%zu-1/m.so", i);
        tb_file(b, name, "not an object\n");
    }
    char name[128];
    snprintf(name, sizeof name, "releases/%s/release.yaml", b->vsn);
    tb_file(b, name, spec);
    free(spec);
}

Test(unpack, a_release_of_many_applications_lands, .init = setup, .fini = teardown)
{
    struct tb b;
    tb_init(&b, "1");
    many_apps(&b, 200);
    tb_write(&b, file);
    tb_free(&b);
    struct rm_error err = {0};
    struct rm_unpack_result res;
    cr_assert_eq(rm_release_unpack(file, root, NULL, &res, &err), 0, "%s", err.msg);
    struct rm_store *st = rm_store_open(root, 0, &err);
    cr_assert_not_null(st, "%s", err.msg);
    cr_assert_eq(rm_store_find(st, "1")->napps, 200);
    rm_store_close(st);
    cr_assert_eq(run("test -f '%s/lib/a199-1/m.so'", root), 0);
}
