/*
 * clientconf — parser for the small key = value configuration file.
 */
#include "clientconf.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "pki.h"

struct key {
	const char *name;
	size_t off;
	size_t cap;
};

#define KEY(n, f) {n, offsetof(struct clientconf, f), sizeof(((struct clientconf *)0)->f)}
static const struct key keys[] = {
	KEY("server", server), KEY("ca", ca), KEY("cert", cert), KEY("key", key),
	KEY("timeout", timeout),
};

static char *
trim(char *s)
{
	char *e;
	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
set_key(struct clientconf *c, const char *k, const char *v)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(keys[i].name, k) != 0)
			continue;
		return rw_strcpy((char *)c + keys[i].off, keys[i].cap, v);
	}
	return RW_ENOTFOUND;
}

static int
parse_line(char *line, struct clientconf *c, const char **why)
{
	char *eq, *k, *v;
	int rv;

	line = trim(line);
	if (*line == '\0' || *line == '#')
		return 0;
	if (!(eq = strchr(line, '='))) {
		*why = "expected key = value";
		return RW_EINVAL;
	}
	*eq = '\0';
	k = trim(line);
	v = trim(eq + 1);
	rv = set_key(c, k, v);
	if (rv == RW_ENOTFOUND)
		*why = "unknown key (known: server, ca, cert, key, timeout)";
	else if (rv != 0)
		*why = "value too long";
	return rv ? RW_EINVAL : 0;
}

int
clientconf_parse(const char *name, const char *text, struct clientconf *c, char *msg,
                 size_t msgsz)
{
	char *copy = strdup(text), *line;
	int lineno = 0, rv = 0;

	if (!copy)
		return RW_ENOMEM;
	/* Line by line by hand, so messages can name the line number. */
	for (line = copy; line && rv == 0; lineno++) {
		const char *why = NULL;
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		rv = parse_line(line, c, &why);
		if (rv != 0)
			snprintf(msg, msgsz, "%s:%d: %s", name, lineno + 1, why);
		line = nl ? nl + 1 : NULL;
	}
	free(copy);
	return rv;
}

int
clientconf_load(const char *path, struct clientconf *c, char *msg, size_t msgsz)
{
	char *text = NULL;
	size_t len;
	int rv = pki_read_file(path, CLIENTCONF_MAX_BYTES, &text, &len);

	if (rv != 0) {
		snprintf(msg, msgsz, "%s: %s", path,
		         rv == RW_ETOOBIG ? "configuration file too large" : rw_strerror(rv));
		return rv;
	}
	if (memchr(text, '\0', len)) {
		free(text);
		snprintf(msg, msgsz, "%s: not a text file", path);
		return RW_EINVAL;
	}
	rv = clientconf_parse(path, text, c, msg, msgsz);
	free(text);
	return rv;
}
