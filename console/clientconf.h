/*
 * clientconf — the console/agent configuration file: "key = value" lines,
 * '#' comments, a bounded size, and only known keys.  It reads the file; it
 * does not decide precedence (flags and environment win; see console/cli.c).
 */
#ifndef REWIND_CLIENTCONF_H
#define REWIND_CLIENTCONF_H

#include <stddef.h>

#define CLIENTCONF_MAX_BYTES (64 * 1024)
#define CLIENTCONF_VALUE_MAX 1023

struct clientconf {
	char server[CLIENTCONF_VALUE_MAX + 1];
	char ca[CLIENTCONF_VALUE_MAX + 1];
	char cert[CLIENTCONF_VALUE_MAX + 1];
	char key[CLIENTCONF_VALUE_MAX + 1];
	char timeout[32];
};

/*
 * Loads PATH into c (fields absent from the file are left as they were).
 * RW_ENOTFOUND when the file does not exist; RW_EINVAL with "PATH:LINE: why"
 * in msg for a malformed line or unknown key; RW_ETOOBIG for a huge file.
 */
int clientconf_load(const char *path, struct clientconf *c, char *msg, size_t msgsz);

/* Parses the text itself (same rules); name is used in messages. */
int clientconf_parse(const char *name, const char *text, struct clientconf *c, char *msg,
                     size_t msgsz);

#endif
