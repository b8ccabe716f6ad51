/*
 * The journal's fields of a node's log line (relman/node-log.c): what
 * sd_journal_sendv is handed, built by node_journal_fields. (libsystemd
 * writes to the journal's fixed socket, so the suite checks the record.)
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "node.h"
#include "relman/module.h"

/* The record's fields as "A\nB\n...". */
static void fields_of(const struct node_journal_rec *rec, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < rec->n && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%.*s\n", (int)rec->iov[i].iov_len,
                                 (const char *)rec->iov[i].iov_base);
}

Test(journal, fields_of_a_process_line)
{
    struct node_journal_rec rec;
    struct node_log_subject subj = {.process = "z", .module = "z", .version = "1"};
    node_journal_fields(&rec, RM_LOG_WARNING, "z (z): count is high", &subj, "2", "/srv/n");
    char text[1024];
    fields_of(&rec, text, sizeof text);
    cr_expect_str_eq(text, "PRIORITY=4\n"
                           "SYSLOG_IDENTIFIER=relman\n"
                           "RELMAN_ROOT=/srv/n\n"
                           "RELMAN_RELEASE=2\n"
                           "RELMAN_PROCESS=z\n"
                           "RELMAN_MODULE=z\n"
                           "RELMAN_MODULE_VERSION=1\n"
                           "MESSAGE=z (z): count is high\n");
}

Test(journal, unknown_fields_are_left_out_and_priorities_map)
{
    struct node_journal_rec rec;
    char text[1024];
    node_journal_fields(&rec, RM_LOG_ERROR, "node failed", NULL, "", NULL);
    fields_of(&rec, text, sizeof text);
    cr_expect_str_eq(text, "PRIORITY=3\nSYSLOG_IDENTIFIER=relman\nMESSAGE=node failed\n");
    node_journal_fields(&rec, RM_LOG_INFO, "x", NULL, NULL, NULL);
    cr_expect_eq(rec.iov[0].iov_len, strlen("PRIORITY=6"));
    cr_expect(memcmp(rec.iov[0].iov_base, "PRIORITY=6", 10) == 0);
    node_journal_fields(&rec, RM_LOG_DEBUG, "x", NULL, NULL, NULL);
    cr_expect(memcmp(rec.iov[0].iov_base, "PRIORITY=7", 10) == 0);
}

Test(journal, a_long_message_is_cut_and_keeps_the_other_fields)
{
    static char line[NODE_JOURNAL_BYTES + 100];
    memset(line, 'x', sizeof line - 1);
    struct node_journal_rec rec;
    node_journal_fields(&rec, RM_LOG_INFO, line, NULL, "1", "/r");
    cr_assert_eq(rec.n, 5);
    cr_expect(memcmp(rec.iov[3].iov_base, "RELMAN_RELEASE=1", 16) == 0);
    cr_expect(memcmp(rec.iov[4].iov_base, "MESSAGE=xxx", 11) == 0);
    size_t total = 0;
    for (size_t i = 0; i < rec.n; i++)
        total += rec.iov[i].iov_len + 1;
    cr_expect_eq(total, NODE_JOURNAL_BYTES, "the message fills the record: %zu", total);
}
