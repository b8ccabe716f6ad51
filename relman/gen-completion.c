/*
 * The bash and zsh completion scripts. Both are the same three parts: the
 * table as shell functions (commands, subcommands, options and what each
 * option's value and each argument is), one completion core written in the
 * shell language bash and zsh share, and a few lines of each shell's own
 * glue. Release versions and process names come from the node named on
 * the line (--root DIR) or by RELMAN_ROOT: `relman releases --json` and
 * `relman status --json`.
 */
#include <ctype.h>
#include <string.h>

#include "gen.h"

const char *gen_kind(const char *p, char *buf, size_t size)
{
    if (strcmp(p, "VSN") == 0)
        return "version";
    if (strcmp(p, "PROC") == 0)
        return "process";
    if (strcmp(p, "DIR") == 0)
        return "dir";
    if (strcmp(p, "FILE") == 0 || strcmp(p, "PATH") == 0 || strchr(p, '.'))
        return "file";
    if (strchr(p, '|') && islower((unsigned char)p[0])) { /* on|off */
        snprintf(buf, size, "words:%s", p);
        for (char *c = buf; *c; c++)
            if (*c == '|')
                *c = ',';
        return buf;
    }
    return "none";
}

static const struct cmd_option *find_option(const struct cmd_entry *e, const char *name)
{
    for (const struct cmd_option *o = e->options; o && o->name; o++)
        if (strcmp(o->name, name) == 0 || (o->alias && strcmp(o->alias, name) == 0))
            return o;
    return NULL;
}

/* The kinds of a command's arguments, from its synopsis: each placeholder
   before the first '|' that is not an option's value; "+" marks one that
   repeats ("PROC..."). */
static void arg_kinds(FILE *f, const struct cmd_entry *e)
{
    char args[512], kind[64];
    snprintf(args, sizeof args, "%s", e->args);
    int skip = 0, n = 0;
    for (char *save, *t = strtok_r(args, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        if (strcmp(t, "|") == 0)
            break;
        while (*t == '[')
            t++;
        size_t len = strlen(t);
        while (len && t[len - 1] == ']')
            t[--len] = '\0';
        int repeat = len > 3 && strcmp(t + len - 3, "...") == 0;
        if (repeat)
            t[len - 3] = '\0';
        if (skip) {
            skip = 0;
            continue;
        }
        if (t[0] == '-') {
            const struct cmd_option *o = find_option(e, t);
            skip = o && o->value;
            continue;
        }
        fprintf(f, "%s%s%s", n++ ? " " : "", gen_kind(t, kind, sizeof kind), repeat ? "+" : "");
    }
}

/* The table as shell functions. */
static void data(FILE *f)
{
    char kind[64];
    fputs("# The command table (generated).\n_relman_commands() {\n    printf '%s\\n' help", f);
    for (const struct cmd_entry *const *e = cmd_table; *e; e++) {
        const char *space = strchr((*e)->name, ' ');
        int len = space ? (int)(space - (*e)->name) : (int)strlen((*e)->name);
        int seen = 0; /* a group ("node") once */
        for (const struct cmd_entry *const *p = cmd_table; p < e; p++)
            seen |= strncmp((*p)->name, (*e)->name, (size_t)len) == 0 &&
                    ((*p)->name[len] == ' ' || (*p)->name[len] == '\0');
        if (!seen)
            fprintf(f, " %.*s", len, (*e)->name);
    }
    fputs("\n}\n_relman_subcommands() {\n    case $1 in\n", f);
    for (const struct cmd_entry *const *e = cmd_table; *e; e++) {
        const char *space = strchr((*e)->name, ' ');
        if (!space)
            continue;
        int len = (int)(space - (*e)->name), first = 1;
        for (const struct cmd_entry *const *p = cmd_table; p < e; p++)
            first &= strncmp((*p)->name, (*e)->name, (size_t)len + 1) != 0;
        if (!first)
            continue;
        fprintf(f, "        %.*s) printf '%%s\\n'", len, (*e)->name);
        for (const struct cmd_entry *const *p = e; *p; p++)
            if (strncmp((*p)->name, (*e)->name, (size_t)len + 1) == 0)
                fprintf(f, " %s", (*p)->name + len + 1);
        fputs(" ;;\n", f);
    }
    fputs("    esac\n}\n_relman_options() {\n    case $1 in\n", f);
    for (const struct cmd_entry *const *e = cmd_table; *e; e++) {
        fprintf(f, "        '%s') printf '%%s\\n'", (*e)->name);
        for (const struct cmd_option *o = (*e)->options; o && o->name; o++)
            fprintf(f, " %s", o->name);
        fputs(" --help ;;\n", f);
    }
    fputs("    esac\n}\n# What the value of option $2 of command $1 is; nothing for a flag.\n"
          "_relman_option_kind() {\n    case \"$1 $2\" in\n",
          f);
    for (const struct cmd_entry *const *e = cmd_table; *e; e++)
        for (const struct cmd_option *o = (*e)->options; o && o->name; o++) {
            if (!o->value)
                continue;
            fprintf(f, "        '%s %s'", (*e)->name, o->name);
            if (o->alias)
                fprintf(f, " | '%s %s'", (*e)->name, o->alias);
            fprintf(f, ") echo %s ;;\n", gen_kind(o->value, kind, sizeof kind));
        }
    fputs("    esac\n}\n# What each argument of command $1 is, in order ('+': repeats).\n"
          "_relman_args() {\n    case $1 in\n",
          f);
    for (const struct cmd_entry *const *e = cmd_table; *e; e++) {
        fprintf(f, "        '%s') echo '", (*e)->name);
        arg_kinds(f, *e);
        fputs("' ;;\n", f);
    }
    fputs("    esac\n}\n\n", f);
}

/* The completion core, in the shell language bash and zsh share. */
static const char core[] =
    "# The kind of argument number $2 of command $1.\n"
    "_relman_arg_kind() {\n"
    "    local n=$2 k last=\n"
    "    for k in $(_relman_args \"$1\"); do\n"
    "        n=$((n - 1))\n"
    "        last=$k\n"
    "        if [ \"$n\" -eq 0 ]; then\n"
    "            printf '%s\\n' \"${k%+}\"\n"
    "            return\n"
    "        fi\n"
    "    done\n"
    "    case $last in *+) printf '%s\\n' \"${last%+}\" ;; esac\n"
    "}\n"
    "\n"
    "# The values of a kind: $1 the program, $2 the node root, $3 the command.\n"
    "_relman_values() {\n"
    "    case $4 in\n"
    "        commands) _relman_commands ;;\n"
    "        subcommands:*) _relman_subcommands \"${4#subcommands:}\" ;;\n"
    "        options) _relman_options \"$3\" ;;\n"
    "        version)\n"
    "            [ -n \"$2\" ] && \"$1\" releases --json --root \"$2\" 2>/dev/null |\n"
    "                grep -o '\"version\":\"[^\"]*\",\"state\"' | sed 's/^\"version\":\"//; "
    "s/\",\"state\"$//' ;;\n"
    "        process)\n"
    "            [ -n \"$2\" ] && \"$1\" status --json --root \"$2\" 2>/dev/null |\n"
    "                grep -o '\"name\": \"[^\"]*\"' | sed 's/^\"name\": \"//; s/\"$//' |\n"
    "                grep -v '^$' ;;\n"
    "        file) echo @file ;;\n"
    "        dir) echo @dir ;;\n"
    "        words:*) printf '%s\\n' \"${4#words:}\" | tr , '\\n' ;;\n"
    "    esac\n"
    "}\n"
    "\n"
    "# Prints the candidates for the word being completed, one a line, or @file\n"
    "# or @dir for a path: $1 the program, $2 the word being completed, then the\n"
    "# words between the program and it.\n"
    "_relman_candidates() {\n"
    "    local prog=$1 cur=$2 root=${RELMAN_ROOT-} cmd= opt= pos=0 last= w kind\n"
    "    shift 2\n"
    "    for w in \"$@\"; do\n"
    "        if [ -n \"$opt\" ]; then\n"
    "            case $opt in --root | -r) root=$w ;; esac\n"
    "            opt=\n"
    "        elif [ -z \"$cmd\" ]; then\n"
    "            cmd=$w\n"
    "        elif [ \"$cmd\" = \"${cmd% *}\" ] && [ -n \"$(_relman_subcommands \"$cmd\")\" ]; "
    "then\n"
    "            cmd=\"$cmd $w\"\n"
    "        else\n"
    "            case $w in\n"
    "                --root=*) root=${w#--root=} ;;\n"
    "                -*) [ -n \"$(_relman_option_kind \"$cmd\" \"$w\")\" ] && opt=$w ;;\n"
    "                *) pos=$((pos + 1)) last=$w ;;\n"
    "            esac\n"
    "        fi\n"
    "    done\n"
    "    if [ -n \"$opt\" ]; then\n"
    "        kind=$(_relman_option_kind \"$cmd\" \"$opt\")\n"
    "    elif [ -z \"$cmd\" ]; then\n"
    "        kind=commands\n"
    "    elif [ \"$cmd\" = help ]; then\n"
    "        case $pos in\n"
    "            0) kind=commands ;;\n"
    "            1) kind=subcommands:$last ;;\n"
    "        esac\n"
    "    elif [ \"$cmd\" = \"${cmd% *}\" ] && [ -n \"$(_relman_subcommands \"$cmd\")\" ]; then\n"
    "        kind=subcommands:$cmd\n"
    "    else\n"
    "        case $cur in\n"
    "            -*) kind=options ;;\n"
    "            *) kind=$(_relman_arg_kind \"$cmd\" $((pos + 1))) ;;\n"
    "        esac\n"
    "    fi\n"
    "    _relman_values \"$prog\" \"$root\" \"$cmd\" \"$kind\" | while IFS= read -r w; do\n"
    "        case $w in \"$cur\"* | @*) printf '%s\\n' \"$w\" ;; esac\n"
    "    done\n"
    "    return 0 # nothing to offer is no failure (even under pipefail)\n"
    "}\n";

static const char bash_glue[] =
    "\n_relman() {\n"
    "    local cur=${COMP_WORDS[COMP_CWORD]} out\n"
    "    out=$(_relman_candidates \"${COMP_WORDS[0]}\" \"$cur\" "
    "\"${COMP_WORDS[@]:1:COMP_CWORD-1}\")\n"
    "    COMPREPLY=()\n"
    "    case $out in\n"
    "        @file) compopt -o filenames 2>/dev/null || :; mapfile -t COMPREPLY < <(compgen -f -- "
    "\"$cur\") ;;\n"
    "        @dir) compopt -o filenames 2>/dev/null || :; mapfile -t COMPREPLY < <(compgen -d -- "
    "\"$cur\") ;;\n"
    "        ?*) mapfile -t COMPREPLY <<<\"$out\" ;;\n"
    "    esac\n"
    "}\n"
    "complete -F _relman relman\n";

static const char zsh_glue[] = "\n_relman() {\n"
                               "    local out\n"
                               "    out=$(_relman_candidates \"${words[1]}\" \"${words[CURRENT]}\" "
                               "\"${(@)words[2,CURRENT-1]}\")\n"
                               "    case $out in\n"
                               "        @file) _files ;;\n"
                               "        @dir) _directories ;;\n"
                               "        ?*) compadd -- \"${(@f)out}\" ;;\n"
                               "    esac\n"
                               "}\n"
                               "\n"
                               "if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then\n"
                               "    _relman \"$@\"\n"
                               "else\n"
                               "    compdef _relman relman\n"
                               "fi\n";

void gen_bash(FILE *f)
{
    fputs("# bash completion for relman, generated from its command table by relman-gen:\n"
          "# do not edit. Versions and processes come from the node of --root or\n"
          "# RELMAN_ROOT.\n\n",
          f);
    data(f);
    fputs(core, f);
    fputs(bash_glue, f);
}

void gen_zsh(FILE *f)
{
    fputs("#compdef relman\n"
          "# zsh completion for relman, generated from its command table by relman-gen:\n"
          "# do not edit. Versions and processes come from the node of --root or\n"
          "# RELMAN_ROOT.\n\n",
          f);
    data(f);
    fputs(core, f);
    fputs(zsh_glue, f);
}
