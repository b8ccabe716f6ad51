/* Reports of install, rollback and check, printed for a person or as JSON
   (the reply's report decoded with rm_report_get). */
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "relman/report.h"

void client_json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

static void print_json(const struct rm_report *rep, const char *verb)
{
    const char *op = strcmp(verb, "checked") == 0          ? "check"
                     : strcmp(verb, "rolled back to") == 0 ? "rollback"
                                                           : "install";
    printf("{\"operation\":\"%s\"", op);
    printf(",\"from\":");
    client_json_str(rep->from);
    printf(",\"to\":");
    client_json_str(rep->to);
    printf(",\"direction\":\"%s\",\"plan_length\":%zu,\"first_irreversible\":",
           rep->dir == RM_UP ? "up" : "down", rep->plan_len);
    if (rep->first_irreversible < 0)
        printf("null");
    else
        printf("%ld", rep->first_irreversible + 1);
    printf(",\"pause_ms\":%.3f,\"total_ms\":%.3f,\"steps\":[", ms(rep->pause_ns),
           ms(rep->total_ns));
    for (size_t i = 0; i < rep->nsteps; i++) {
        printf("%s{\"instruction\":", i ? "," : "");
        client_json_str(rep->steps[i].what);
        printf(",\"processes\":%llu,\"time_ms\":%.3f}", (unsigned long long)rep->steps[i].procs,
               ms(rep->steps[i].ns));
    }
    printf("]}\n");
}

void client_print_json_error(const char *msg)
{
    printf("{\"ok\":false,\"error\":");
    client_json_str(msg);
    printf("}\n");
}

void client_report_print(const struct rm_report *rep, const char *verb, int json)
{
    if (json) {
        print_json(rep, verb);
        return;
    }
    const char *dir = rep->dir == RM_UP ? "up" : "down";
    if (strcmp(verb, "checked") == 0) {
        printf("release '%s' can be installed (%s from '%s'): plan of %zu steps checked\n", rep->to,
               dir, rep->from, rep->plan_len);
    } else {
        printf("%s release '%s' (%s from '%s'): %zu steps, pause %.3f ms, total %.3f ms\n", verb,
               rep->to, dir, rep->from, rep->nsteps, ms(rep->pause_ns), ms(rep->total_ns));
    }
    printf("  %-4s %-56s %9s %12s\n", "step", "instruction", "processes", "time");
    for (size_t i = 0; i < rep->nsteps; i++)
        printf("  %-4zu %-56s %9llu %9.3f ms\n", i + 1, rep->steps[i].what,
               (unsigned long long)rep->steps[i].procs, ms(rep->steps[i].ns));
    if (strcmp(verb, "checked") == 0) {
        if (rep->first_irreversible < 0)
            printf("every step is undoable: a failure rolls back in place and the node keeps "
                   "serving release '%s'\n",
                   rep->from);
        else
            printf("plan step %ld is irreversible: a failure after it restarts the node into its "
                   "permanent release\n",
                   rep->first_irreversible + 1);
    }
}
