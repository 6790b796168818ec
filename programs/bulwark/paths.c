/* Sources of input paths: the command line, or a file of one path a line. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct cli_paths {
    char **args;
    int count;
    int next;
    FILE *file;
    bool close_file;
    long total; /* lines in a regular list file, for the progress bar; -1 */
    char *line;
    size_t line_cap;
};

cli_paths *cli_paths_from_args(char **args, int count)
{
    cli_paths *p = calloc(1, sizeof *p);
    if (p) {
        p->args = args;
        p->count = count;
    }
    return p;
}

cli_paths *cli_paths_from_file(const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f)
        return NULL;
    cli_paths *p = calloc(1, sizeof *p);
    if (!p) {
        if (f != stdin)
            fclose(f);
        return NULL;
    }
    p->file = f;
    p->close_file = f != stdin;
    p->total = -1;
    /* A list in a regular file can be counted up front (one quick pass),
     * so the progress bar can show how far along a long run is. */
    if (f != stdin) {
        long lines = 0;
        int c, last = '\n';
        while ((c = getc(f)) != EOF) {
            if (c == '\n' && last != '\n')
                lines++;
            last = c;
        }
        if (last != '\n')
            lines++;
        p->total = lines;
        rewind(f);
    }
    return p;
}

char *cli_paths_next(cli_paths *p)
{
    if (!p->file)
        return p->next < p->count ? strdup(p->args[p->next++]) : NULL;
    for (;;) {
        ssize_t n = getline(&p->line, &p->line_cap, p->file);
        if (n < 0)
            return NULL;
        while (n > 0 && (p->line[n - 1] == '\n' || p->line[n - 1] == '\r'))
            p->line[--n] = '\0';
        if (n > 0)
            return strdup(p->line);
    }
}

long cli_paths_total(const cli_paths *p)
{
    return p->file ? p->total : (long)p->count;
}

void cli_paths_free(cli_paths *p)
{
    if (!p)
        return;
    if (p->close_file)
        fclose(p->file);
    free(p->line);
    free(p);
}
