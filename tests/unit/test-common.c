/* The common library: the error record's codes, subject and lead, and the
   vocabulary every layer shares. */
#include <criterion/criterion.h>
#include <elf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relman/elf.h"
#include "relman/error.h"
#include "relman/vocab.h"

Test(error, set_clears_the_structured_part)
{
    struct rm_error e;
    rm_error_xset(&e, RM_XOLD_CODE, "load 'z': old code in the way");
    rm_error_subject_pid(&e, 7);
    rm_error_subject_module(&e, "z");
    rm_error_subject_step(&e, 3);
    cr_assert_eq(e.code, RM_EBUSY);
    cr_assert_eq(e.xcode, RM_XOLD_CODE);
    rm_error_set(&e, RM_EIO, "disk");
    cr_assert_eq(e.code, RM_EIO);
    cr_assert_eq(e.xcode, RM_XNONE);
    cr_assert_eq(e.subject.pid, 0);
    cr_assert_str_eq(e.subject.module, "");
    cr_assert_eq(e.subject.step, -1);
    cr_assert_eq(e.lead, 0);
}

Test(error, extended_codes_refine_their_primary)
{
    cr_assert_eq(rm_xcode_primary(RM_XOLD_CODE), RM_EBUSY);
    cr_assert_eq(rm_xcode_primary(RM_XUPGRADING), RM_EBUSY);
    cr_assert_eq(rm_xcode_primary(RM_XNO_PROCESS), RM_ENOENT);
    cr_assert_eq(rm_xcode_primary(RM_XNONE), RM_OK);
    cr_assert_str_eq(rm_xstrerror(RM_XUPGRADING), "part of an upgrade in progress");
    cr_assert_str_eq(rm_xstrerror(12345), "unknown error");
}

Test(error, prefix_keeps_codes_subject_and_grows_the_lead)
{
    struct rm_error e;
    rm_error_xset(&e, RM_XNO_PROCESS, "not suspended");
    rm_error_subject_pid(&e, 2);
    rm_error_lead(&e, "resume '%s'", "<2>");
    cr_assert_str_eq(e.msg, "resume '<2>': not suspended");
    cr_assert_eq(e.lead, strlen("resume '<2>'"));
    rm_error_prefix(&e, "control");
    cr_assert_str_eq(e.msg, "control: resume '<2>': not suspended");
    cr_assert_eq(e.lead, strlen("control: resume '<2>'"));
    cr_assert_eq(e.xcode, RM_XNO_PROCESS);
    cr_assert_eq(e.subject.pid, 2);
}

Test(error, restate_replaces_the_lead_or_prefixes)
{
    struct rm_error e;
    rm_error_set(&e, RM_ELOAD, "invalid ELF header");
    rm_error_lead(&e, "load '%s'", "/p/z.so");
    rm_error_restate(&e, "load 'z' from '%s'", "/p/z.so");
    cr_assert_str_eq(e.msg, "load 'z' from '/p/z.so': invalid ELF header");
    cr_assert_eq(e.lead, strlen("load 'z' from '/p/z.so'"));
    cr_assert_eq(e.code, RM_ELOAD);

    rm_error_set(&e, RM_ETIMEOUT, "still in a callback");
    rm_error_restate(&e, "call 't'");
    cr_assert_str_eq(e.msg, "call 't': still in a callback");
}

Test(error, long_messages_are_cut_with_an_ellipsis)
{
    struct rm_error e;
    char big[2 * RM_ERROR_MAX];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    rm_error_set(&e, RM_EINVAL, "%s", "cause");
    rm_error_lead(&e, "%s", big);
    cr_assert_eq(strlen(e.msg), RM_ERROR_MAX - 1);
    cr_assert_str_eq(e.msg + RM_ERROR_MAX - 4, "...");
    cr_assert_eq(e.lead, 0, "a lead that does not fit is not marked");
}

Test(vocab, one_name_rule)
{
    cr_assert(rm_name_valid("counter"));
    cr_assert(rm_name_valid("z_1.0-rc+build@2"));
    cr_assert_not(rm_name_valid(""));
    cr_assert_not(rm_name_valid(".hidden"));
    cr_assert_not(rm_name_valid("-x"));
    cr_assert_not(rm_name_valid("a b"));
    cr_assert_not(rm_name_valid("a/b"));
    char longest[RM_NAME_MAX + 2];
    memset(longest, 'a', RM_NAME_MAX);
    longest[RM_NAME_MAX] = '\0';
    cr_assert(rm_name_valid(longest));
    longest[RM_NAME_MAX] = 'a';
    longest[RM_NAME_MAX + 1] = '\0';
    cr_assert_not(rm_name_valid(longest));

    struct rm_error e;
    cr_assert_eq(rm_name_check("a b", "module", &e), -1);
    cr_assert_str_eq(e.msg, "module 'a b' is not a valid name: only letters, digits and '_', "
                            "'.', '-', '+', '@' are allowed");
}

Test(vocab, labels_and_spellings)
{
    char buf[RM_LABEL_MAX];
    cr_assert_str_eq(rm_label("z", 4, buf, sizeof buf), "z");
    cr_assert_str_eq(rm_label(NULL, 4, buf, sizeof buf), "<4>");
    cr_assert_str_eq(rm_label("", 18446744073709551615u, buf, sizeof buf),
                     "<18446744073709551615>");
    cr_assert_str_eq(rm_purge_mode_name(RM_PURGE_SOFT), "soft");
    cr_assert_str_eq(rm_purge_mode_name(RM_PURGE_BRUTAL), "brutal");
    cr_assert_str_eq(rm_restart_name(RM_RESTART_TRANSIENT), "transient");
    cr_assert_str_eq(rm_direction_name(RM_DOWN), "down");
    cr_assert_str_eq(rm_restart_name((enum rm_restart)9), "?");
}

Test(vocab, the_clock_is_monotonic)
{
    uint64_t a = rm_clock_ns(), b = rm_clock_ns();
    cr_assert_geq(b, a);
}

Test(vocab, assert_aborts_with_file_and_line, .signal = SIGABRT)
{
    int broken = 0;
    RM_ASSERT(broken == 1);
}

Test(error, about_a_process_marks_lead_label_and_pid)
{
    struct rm_error e;
    rm_error_about(&e, RM_ESTATE, RM_XNONE, 2, "resume", "<2>", ": not suspended");
    cr_assert_str_eq(e.msg, "resume '<2>': not suspended");
    cr_assert_eq(e.code, RM_ESTATE);
    cr_assert_eq(e.subject.pid, 2);
    cr_assert_eq(e.lead, strlen("resume '<2>'"));
    rm_error_relabel(&e, "worker");
    cr_assert_str_eq(e.msg, "resume 'worker': not suspended");
    cr_assert_eq(e.lead, strlen("resume 'worker'"));
    rm_error_restate(&e, "resume '%s'", "w");
    cr_assert_str_eq(e.msg, "resume 'w': not suspended");

    rm_error_about(&e, RM_ETIMEOUT, RM_XNONE, 3, "call to", "z", " timed out after %d ms", 100);
    cr_assert_str_eq(e.msg, "call to 'z' timed out after 100 ms");
    rm_error_restate(&e, "call '%s'", "z");
    cr_assert_str_eq(e.msg, "call 'z' timed out after 100 ms");

    rm_error_about(&e, RM_ENOENT, RM_XNO_PROCESS, 9, "no process", "<9>", "%s", "");
    cr_assert_str_eq(e.msg, "no process '<9>'");
    cr_assert_eq(e.code, RM_ENOENT);
    rm_error_relabel(&e, "nobody");
    rm_error_prefix(&e, "state '%s'", "nobody");
    cr_assert_str_eq(e.msg, "state 'nobody': no process 'nobody'");
    rm_error_relabel(&e, "x");
    cr_assert_str_eq(e.msg, "state 'nobody': no process 'x'");
}

/* ---- ELF imports ------------------------------------------------------ */

static int collect(const char *name, void *ud)
{
    char *all = ud;
    size_t n = strlen(all);
    snprintf(all + n, 8192 - n, " %s", name);
    return 0;
}

Test(elf, imports_of_a_real_object_and_refusals_of_broken_ones)
{
    static char all[8192];
    struct rm_error err = {0};
    /* this test program itself: it imports from the C library */
    cr_assert_eq(rm_elf_imports("/proc/self/exe", collect, all, &err), 0, "%s", err.msg);
    cr_expect(strstr(all, " strstr") || strstr(all, " snprintf"), "imports: %s", all);

    const char *tmp = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/relman-elf-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    unsigned char junk[256];
    /* not ELF; ELF with its section headers past the end; an empty file */
    memset(junk, 0x41, sizeof junk);
    cr_assert_eq(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
    cr_expect_eq(rm_elf_imports(path, collect, all, &err), -1);
    cr_expect(strstr(err.msg, "not an ELF object"), "%s", err.msg);
    Elf64_Ehdr eh = {0};
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_shentsize = sizeof(Elf64_Shdr);
    eh.e_shoff = 1u << 30;
    eh.e_shnum = 40;
    cr_assert_eq(pwrite(fd, &eh, sizeof eh, 0), (ssize_t)sizeof eh);
    cr_expect_eq(rm_elf_imports(path, collect, all, &err), -1);
    cr_expect(strstr(err.msg, "section headers out of the file"), "%s", err.msg);
    cr_assert_eq(ftruncate(fd, 0), 0);
    cr_expect_eq(rm_elf_imports(path, collect, all, &err), -1);
    close(fd);
    unlink(path);
    cr_expect_eq(rm_elf_imports(path, collect, all, &err), -1);
    cr_expect_eq(err.code, RM_ENOENT);
}
