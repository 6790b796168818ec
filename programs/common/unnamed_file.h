/*
 * What the programs share beyond the public API: small helpers of their
 * own, compiled into each of them.
 */
#ifndef BULWARK_PROGRAMS_UNNAMED_FILE_H
#define BULWARK_PROGRAMS_UNNAMED_FILE_H

/* A new file in dir that has no name (O_TMPFILE, which O_EXCL keeps from
 * ever being linked into the file system), so that nothing of it is left
 * behind however the process ends; on a file system without O_TMPFILE, a
 * named file unlinked at once. prefix names that file for its instant.
 * Returns the descriptor (read and write, close-on-exec), or -1 with errno. */
int bw_unnamed_file(const char *dir, const char *prefix);

#endif
